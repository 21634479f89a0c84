// The A/B statistics (reporters/ab.ts): the confidence sequence keeps its error rate however often it is read,
// the three verdicts fall where the thresholds put them, and the argument parser says what is wrong.
import { describe, expect, it } from 'vitest'
import { GATE_METRICS } from '../../helpers/metrics/registry.ts'
import { mulberry32 } from '../../helpers/rng.ts'
import { AbTracker, confidenceSequence, judgeMetric, logThreshold } from '../../reporters/ab.ts'
import { DEFAULT_THRESHOLDS } from '../../reporters/gate.ts'
import { parseAbArgs } from '../../cli/commands/ab.ts'

const gauss = (rnd: () => number) => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd())
const tokps = GATE_METRICS.find((g) => g.id === 'tokps')!
const ttft = GATE_METRICS.find((g) => g.id === 'ttft_p50')!

describe('confidence sequence (Lai)', () => {
  it('is the whole line until enough rounds, then closes around the mean and narrows', () => {
    expect(confidenceSequence([0.01], 0.05)).toEqual([-Infinity, Infinity])
    expect(confidenceSequence([0.01, 0.02, 0.03], 0.05 / 8)).toEqual([-Infinity, Infinity])
    const rnd = mulberry32(1)
    const xs = Array.from({ length: 40 }, () => 0.1 + 0.05 * gauss(rnd))
    const w = (n: number) => {
      const [lo, hi] = confidenceSequence(xs.slice(0, n), 0.05)
      expect(lo).toBeLessThan(hi)
      return hi - lo
    }
    expect(w(10)).toBeGreaterThan(w(20))
    expect(w(20)).toBeGreaterThan(w(40))
    const [lo, hi] = confidenceSequence(xs, 0.05)
    expect(lo).toBeLessThan(0.1)
    expect(hi).toBeGreaterThan(0.1)
  })

  it('misses the true mean at any round in at most α of sequences, though read after every round (a t-interval re-read would not)', () => {
    const rnd = mulberry32(7)
    const runs = 2000
    let csMissed = 0
    let tMissed = 0
    for (let r = 0; r < runs; r++) {
      const xs: number[] = []
      let cs = false
      let tt = false
      for (let n = 1; n <= 60; n++) {
        xs.push(0.03 * gauss(rnd))
        const [lo, hi] = confidenceSequence(xs, 0.05)
        if (lo > 0 || hi < 0) cs = true
        if (n >= 3) {
          const m = xs.reduce((a, b) => a + b, 0) / n
          const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1))
          if (Math.abs(m) > (2.0 * sd) / Math.sqrt(n)) tt = true // ≈ a 95% t-interval, re-read every round
        }
      }
      if (cs) csMissed++
      if (tt) tMissed++
    }
    expect(csMissed / runs).toBeLessThanOrEqual(0.05)
    expect(tMissed / runs).toBeGreaterThan(0.2)
  })
})

describe('A/B verdicts', () => {
  const series = (def: typeof tokps, worse: number, sd: number, n: number, seed: number) => {
    const rnd = mulberry32(seed)
    return { def, thresholdPct: DEFAULT_THRESHOLDS[def.threshold], diffs: Array.from({ length: n }, () => worse + sd * gauss(rnd)) }
  }

  it('B 12% fewer tok/s FAILs, no change PASSes, a change at the edge stays open', () => {
    const fail = judgeMetric(series(tokps, -Math.log(0.88), 0.02, 8, 1), 0.05 / 8, 0.05)
    expect(fail.verdict).toBe('FAIL')
    expect(fail.effectPct!).toBeCloseTo(-12, 0)
    expect(fail.ci[0]!).toBeLessThan(fail.effectPct!)
    expect(fail.ci[1]!).toBeGreaterThan(fail.effectPct!)
    expect(judgeMetric(series(tokps, 0, 0.02, 8, 2), 0.05 / 8, 0.05).verdict).toBe('PASS')
    const edge = judgeMetric(series(ttft, logThreshold(ttft, 15) / 2, 0.08, 6, 3), 0.05 / 8, 0.05)
    expect(edge.verdict).toBe('INCONCLUSIVE')
    expect(edge.note).toMatch(/rounds in all would decide it|edge of the indifference zone/)
  })

  it('the run PASSes on its medians; a p99 fails it when confidently worse but does not hold it open', () => {
    const t = new AbTracker(DEFAULT_THRESHOLDS, 0.05)
    const rnd = mulberry32(5)
    for (let r = 0; r < 8; r++) t.add(new Map(GATE_METRICS.map((g) => [g.id, (g.stat === 'p99' ? 0.4 : 0.02) * gauss(rnd)] as const)))
    const j = t.judge()
    expect(j.metrics.filter((m) => m.blocksPass).every((m) => m.verdict === 'PASS')).toBe(true)
    expect(j.metrics.some((m) => !m.blocksPass && m.verdict === 'INCONCLUSIVE')).toBe(true)
    expect(j.verdict).toBe('PASS')
    // a metric missing in one round cannot be paired: it leaves the test
    t.add(new Map(GATE_METRICS.map((g) => [g.id, g.id === 'prefill_p50' ? null : 0] as const)))
    expect(t.judge().metrics.map((m) => m.id)).not.toContain('prefill_p50')
  })
})

describe('fuze-bench ab arguments', () => {
  it('reads two overlays, env files and options; says what is wrong otherwise', () => {
    const p = parseAbArgs(['--a', 'OPENAI_URL=http://a', 'OPENAI_API_KEY=s3', '--b', 'OPENAI_URL=http://b', '--budget-s', '120', '--', '--project', 'openai'])
    expect(p.a.settings).toEqual({ OPENAI_URL: 'http://a', OPENAI_API_KEY: 's3' })
    expect(p.a.shown).toEqual(['OPENAI_URL=http://a', 'OPENAI_API_KEY=***'])
    expect(p.b.settings).toEqual({ OPENAI_URL: 'http://b' })
    expect(p.budgetS).toBe(120)
    expect(p.vitestArgs).toEqual(['--project', 'openai'])
    expect(() => parseAbArgs(['--a', 'X=1', '--', '--project', 'openai'])).toThrow(/--b needs at least one KEY=VAL or @file.env/)
    expect(() => parseAbArgs(['--a', 'X=1', '--b', 'X=2'])).toThrow(/give the vitest bench args after --/)
    expect(() => parseAbArgs(['X=1', '--a', 'X=2', '--b', 'X=3', '--', 'x'])).toThrow(/'X=1' belongs to no side/)
    expect(() => parseAbArgs(['--a', 'nope', '--b', 'X=3', '--', 'x'])).toThrow(/'nope' is not KEY=VAL or @file.env \(for A\)/)
    expect(() => parseAbArgs(['--a', '@/no/such.env', '--b', 'X=3', '--', 'x'])).toThrow(/A's env file @\/no\/such.env cannot be read/)
    expect(() => parseAbArgs(['--a', 'X=1', '--b', 'X=3', '--budget-s', 'soon', '--', 'x'])).toThrow(/--budget-s needs a whole number/)
    expect(() => parseAbArgs(['--a', 'LOG_DIR=/x', '--b', 'X=3', '--', 'x'])).toThrow(/LOG_DIR cannot differ between A and B/)
  })
})
