// Arrival schedules are pure functions of (rate, process, ramp, seed): their statistics are checked exactly.
import { describe, expect, it } from 'vitest'
import { arrivalOffsets, timeForEvents } from '../../helpers/load/arrivals.ts'
import { planLevels } from '../../helpers/load/plan.ts'
import { getKnobs } from '../../env/index.ts'
import { ci95 } from '../../helpers/metrics/ci.ts'

function gaps(xs: number[]): number[] {
  return xs.slice(1).map((x, i) => x - xs[i])
}

describe('arrival schedules', () => {
  it('Poisson: exponential inter-arrivals with mean 1/rate and dispersion (CV) 1, same seed same schedule', () => {
    const xs = arrivalOffsets({ rate: 10, process: 'poisson', seed: 42 }, { count: 20000 })
    const g = gaps(xs)
    const mean = g.reduce((a, b) => a + b, 0) / g.length
    const sd = Math.sqrt(g.reduce((a, b) => a + (b - mean) ** 2, 0) / g.length)
    expect(Math.abs(mean / 100 - 1)).toBeLessThan(0.02)
    expect(Math.abs(sd / mean - 1)).toBeLessThan(0.03)
    // counts per 1 s window are Poisson(10): variance equals mean
    const counts = new Array(Math.floor(xs[xs.length - 1] / 1000)).fill(0)
    for (const x of xs) if (x < counts.length * 1000) counts[Math.floor(x / 1000)]++
    const m = counts.reduce((a, b) => a + b, 0) / counts.length
    const v = counts.reduce((a, b) => a + (b - m) ** 2, 0) / counts.length
    expect(Math.abs(v / m - 1)).toBeLessThan(0.1)
    expect(arrivalOffsets({ rate: 10, process: 'poisson', seed: 42 }, { count: 50 })).toEqual(xs.slice(0, 50))
    expect(arrivalOffsets({ rate: 10, process: 'poisson', seed: 43 }, { count: 50 })).not.toEqual(xs.slice(0, 50))
  })

  it('constant: exactly 1/rate apart from t = 0', () => {
    expect(arrivalOffsets({ rate: 4, process: 'constant' }, { count: 5 })).toEqual([0, 250, 500, 750, 1000])
  })

  it('duration bound: every arrival inside it, and as many as the rate gives', () => {
    const xs = arrivalOffsets({ rate: 4, process: 'constant' }, { durationMs: 2000 })
    expect(xs).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000])
    const p = arrivalOffsets({ rate: 50, process: 'poisson', seed: 3 }, { durationMs: 10_000, count: 100_000 })
    expect(Math.max(...p)).toBeLessThanOrEqual(10_000)
    expect(Math.abs(p.length / 500 - 1)).toBeLessThan(0.1)
  })

  it('ramp-up: the rate rises linearly, so the first half of the ramp holds a quarter of its arrivals', () => {
    // 10/s over a 4 s ramp: 20 expected arrivals during the ramp, 5 of them in its first 2 s
    expect(timeForEvents(20, 10, 4)).toBeCloseTo(4000, 6)
    expect(timeForEvents(5, 10, 4)).toBeCloseTo(2000, 6)
    expect(timeForEvents(30, 10, 4)).toBeCloseTo(5000, 6)
    const xs = arrivalOffsets({ rate: 10, process: 'constant', rampUpS: 4 }, { durationMs: 5000 })
    expect(xs.filter((x) => x <= 2000)).toHaveLength(5)
    expect(xs.filter((x) => x <= 4000)).toHaveLength(20)
    expect(xs).toHaveLength(30)
  })

  it('bad shapes say which knob to fix', () => {
    expect(() => arrivalOffsets({ rate: 0, process: 'poisson' }, { count: 1 })).toThrow(/BENCH_RATE/)
    expect(() => arrivalOffsets({ rate: 1, process: 'poisson' }, {})).toThrow(/BENCH_DURATION/)
  })
})

describe('planLevels', () => {
  const knobs = getKnobs()
  it('a plain case stays sequential; load options give one level per value with task-name suffixes', () => {
    expect(planLevels({}, knobs)).toBeNull()
    const c = planLevels({ concurrency: [1, 2, 4] }, knobs)!
    expect(c.map((l) => l.suffix)).toEqual([' [c=1]', ' [c=2]', ' [c=4]'])
    expect(c[2].shape).toMatchObject({ mode: 'closed', concurrency: 4 })
    const r = planLevels({ rate: [0.5, 2], duration: 3 }, knobs)!
    expect(r.map((l) => l.suffix)).toEqual([' [rate=0.5/s]', ' [rate=2/s]'])
    expect(r[1]).toMatchObject({ shape: { mode: 'open', rate: 2, arrival: 'poisson' }, bounds: { durationMs: 3000 } })
    expect(planLevels({ concurrency: 8 }, knobs)![0].suffix).toBe('')
  })
  it('presets give concurrency, duration and lengths; explicit options win', () => {
    const p = planLevels({ preset: 'edge' }, knobs)!
    expect(p.map((l) => l.shape)).toEqual([
      { mode: 'closed', concurrency: 1, rampUpS: 0 },
      { mode: 'closed', concurrency: 2, rampUpS: 0 },
    ])
    expect(p[0]).toMatchObject({ bounds: { durationMs: 30_000 }, input: { mean: 128, std: 32 }, output: { mean: 64, std: 16 }, preset: 'edge' })
    expect(planLevels({ preset: 'chatbot', concurrency: [3], duration: 2 }, knobs)![0]).toMatchObject({
      shape: { concurrency: 3 },
      bounds: { durationMs: 2000 },
    })
    expect(() => planLevels({ preset: 'nope' as 'edge' }, knobs)).toThrow(/chatbot, batch, edge/)
  })
})

describe('confidence interval across trials', () => {
  it('Student t 95% interval of the trial values', () => {
    const c = ci95([10, 12, 14])!
    expect(c.mean).toBe(12)
    // sd 2, n 3, t(2) = 4.303 → half-width 4.303·2/√3
    expect(c.halfWidth).toBeCloseTo((4.303 * 2) / Math.sqrt(3), 6)
    expect(ci95([5])).toBeNull()
  })
})
