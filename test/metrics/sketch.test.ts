// The bounded distribution: exact (identical to dist()) up to its limit, then a DDSketch whose percentiles stay
// within the stated relative error of the exact ones, on shapes latencies really have; merging equals pooling.
import { describe, expect, it } from 'vitest'
import { dist } from '../../helpers/metrics/dist.ts'
import { DDSketch, QuantileAcc, SKETCH_RELATIVE_ACCURACY } from '../../helpers/metrics/sketch.ts'
import { seededRng } from '../../helpers/load/rng.ts'

const rng = seededRng(42)
const lognormal = (mu: number, sigma: number) => Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()))
const SHAPES: Record<string, () => number> = {
  'lognormal ITL (ms)': () => lognormal(Math.log(8), 0.6),
  'bimodal TTFT (cache hit / miss)': () => (rng() < 0.7 ? 20 + rng() * 5 : 400 + rng() * 200),
  'heavy tail (Pareto)': () => 5 / (1 - rng()) ** (1 / 1.5),
  'with zeros and negatives': () => (rng() < 0.1 ? 0 : (rng() - 0.3) * 100),
}

function fill(acc: QuantileAcc, xs: number[]) {
  for (const x of xs) acc.add(x)
  return acc
}

describe('QuantileAcc', () => {
  it('below its limit it is exactly dist() of the same values', () => {
    const xs = Array.from({ length: 5000 }, SHAPES['lognormal ITL (ms)'])
    const acc = fill(new QuantileAcc(10_000), xs)
    expect(acc.exact).toBe(true)
    expect(acc.dist()).toEqual(dist(xs))
    expect(new QuantileAcc().dist()).toEqual(dist([]))
  })

  for (const [name, draw] of Object.entries(SHAPES)) {
    it(`past its limit, percentiles are within ${SKETCH_RELATIVE_ACCURACY * 100}% of exact; n, mean, std, min, max exact (${name})`, () => {
      const xs = Array.from({ length: 300_000 }, draw)
      const acc = fill(new QuantileAcc(50_000), xs)
      expect(acc.exact).toBe(false)
      const got = acc.dist()
      const want = dist(xs)
      expect(got.n).toBe(want.n)
      expect(got.min).toBe(want.min)
      expect(got.max).toBe(want.max)
      expect(got.mean!).toBeCloseTo(want.mean!, 6)
      expect(got.std!).toBeCloseTo(want.std!, 6)
      for (const q of ['p50', 'p90', 'p95', 'p99'] as const) {
        const err = Math.abs(got[q]! - want[q]!) / Math.max(Math.abs(want[q]!), 1e-9)
        expect(err, `${q}: ${got[q]} vs exact ${want[q]}`).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY + 1e-12)
      }
    })
  }

  it('merging two accumulators equals adding everything to one', () => {
    const a = Array.from({ length: 70_000 }, SHAPES['bimodal TTFT (cache hit / miss)'])
    const b = Array.from({ length: 90_000 }, SHAPES['heavy tail (Pareto)'])
    const merged = fill(new QuantileAcc(60_000), a)
    merged.merge(fill(new QuantileAcc(60_000), b))
    const one = fill(new QuantileAcc(60_000), [...a, ...b])
    const [m, o] = [merged.dist(), one.dist()]
    for (const q of ['n', 'min', 'max', 'p50', 'p90', 'p95', 'p99'] as const) expect(m[q], q).toBe(o[q])
    expect(m.mean!).toBeCloseTo(o.mean!, 9)
    expect(m.std!).toBeCloseTo(o.std!, 9)
  })

  it('memory does not grow with the sample count: a sketch of 2 M values has a few thousand buckets', () => {
    const s = new DDSketch()
    for (let i = 0; i < 2_000_000; i++) s.add(SHAPES['heavy tail (Pareto)']())
    const buckets = (s as unknown as { pos: { counts: Float64Array } }).pos.counts.length
    expect(buckets).toBeLessThan(4096)
  })
})
