import { describe, expect, it } from 'vitest'
import { caseNoise, caseNoiseEstimate, holm, noiseEstimate, poolNoise, studentTUpper } from '../../reporters/gate-evidence.ts'
import { bootstrapChangeCi, mannWhitney } from '../../reporters/gate-stats.ts'

describe('Mann-Whitney U (one-sided)', () => {
  it('gives the exact p-value for complete separation: 1 / C(n1+n2, n1)', () => {
    expect(mannWhitney([1, 2, 3], [4, 5, 6], 'less')).toBeCloseTo(1 / 20, 12)
    expect(mannWhitney([4, 5, 6], [1, 2, 3], 'less')).toBe(1)
    const a = Array.from({ length: 10 }, (_, i) => 100 + i)
    expect(
      mannWhitney(
        a,
        a.map((v) => v * 3),
        'less',
      ),
    ).toBeCloseTo(1 / 184756, 12)
  })

  it('agrees with brute-force enumeration of every rank assignment (exact path)', () => {
    // P(U >= u_obs) over all C(n1+n2, n1) ways to pick which ranks belong to x
    const brute = (x: number[], y: number[]) => {
      const all = [...x, ...y].sort((a, b) => a - b)
      const uOf = (xs: number[], ys: number[]) => xs.reduce((n, a) => n + ys.filter((b) => a > b).length, 0)
      const obs = uOf(x, y)
      let hit = 0
      let total = 0
      const n = all.length
      for (let mask = 0; mask < 1 << n; mask++) {
        if (mask.toString(2).split('1').length - 1 !== x.length) continue
        const xs = all.filter((_, i) => mask & (1 << i))
        const ys = all.filter((_, i) => !(mask & (1 << i)))
        total++
        if (uOf(xs, ys) >= obs) hit++
      }
      return hit / total
    }
    for (const [x, y] of [
      [
        [1, 4, 6, 9],
        [2, 3, 5, 7, 8],
      ],
      [
        [10, 11, 12, 3],
        [1, 2, 4, 5, 6, 7],
      ],
      [
        [1, 2],
        [3, 4, 5, 6, 7, 8, 9],
      ],
    ])
      expect(mannWhitney(x, y, 'greater')).toBeCloseTo(brute(x, y), 12)
    expect(mannWhitney([1, 4, 6, 9], [2, 3, 5, 7, 8], 'greater')).toBeCloseTo(69 / 126, 12)
  })

  it('uses the tie-corrected normal approximation when samples tie and finds no shift in identical samples', () => {
    const a = [5, 5, 6, 6, 7, 7, 8, 8]
    expect(mannWhitney(a, a, 'greater')).toBeGreaterThan(0.4)
    expect(mannWhitney([], a, 'greater')).toBe(1)
  })
})

describe('bootstrap CI of a quantile change', () => {
  it('is deterministic for a seed, excludes 0 for a real shift and includes it for none', () => {
    const base = Array.from({ length: 20 }, (_, i) => 100 + (i % 7))
    const up = base.map((v) => v * 1.5)
    const ci = bootstrapChangeCi(base, up, 0.99, 42)!
    expect(ci).toEqual(bootstrapChangeCi(base, up, 0.99, 42))
    expect(ci[0]).toBeGreaterThan(40)
    expect(ci[1]).toBeLessThan(60)
    const same = bootstrapChangeCi(base, base, 0.99, 42)!
    expect(same[0]).toBeLessThanOrEqual(0)
    expect(same[1]).toBeGreaterThanOrEqual(0)
  })
})

describe('run-level evidence (gate-evidence.ts)', () => {
  it("Student's t upper tail matches the tables", () => {
    // one-sided 2.5% critical values: df 1 → 12.706, df 4 → 2.776, df 10 → 2.228; large df → normal 1.960
    expect(studentTUpper(12.706, 1)).toBeCloseTo(0.025, 4)
    expect(studentTUpper(2.776, 4)).toBeCloseTo(0.025, 4)
    expect(studentTUpper(2.228, 10)).toBeCloseTo(0.025, 4)
    expect(studentTUpper(1.96, 1e6)).toBeCloseTo(0.025, 4)
    expect(studentTUpper(0, 3)).toBeCloseTo(0.5, 12)
    expect(studentTUpper(-2.776, 4)).toBeCloseTo(0.975, 4)
  })

  it('Holm step-down adjustment, in the input order', () => {
    const adj = holm([0.01, 0.04, 0.03, 0.005])
    ;[0.03, 0.06, 0.06, 0.02].forEach((v, i) => expect(adj[i]).toBeCloseTo(v, 12))
    expect(holm([0.2, 0.01])).toEqual([0.2, 0.02])
    expect(holm([0.5, 0.9])).toEqual([1, 1])
  })

  it('pools run-to-run variance over cases and shrinks it toward the prior', () => {
    // variances 0.005 (df 1), 0.01 (df 2), 0.5 (df 1, an erratic case): the median 0.01, worth one case's df (2)
    const pooled = poolNoise([[0, 0.1], [1, 1.1, 0.9], [5], [2, 3]])
    expect(pooled.df).toBe(2)
    expect(pooled.ss).toBeCloseTo(0.01 * 2, 12)
    // the pooled figure (prior 4 df + 2 df) is the prior of each case's own replicates: an erratic case keeps much of its noise
    const p = noiseEstimate(pooled, 0.04)
    expect(p.df).toBe(6)
    const erratic = caseNoiseEstimate(pooled, caseNoise([2, 3]), 0.04)
    expect(erratic).toEqual({ sigma: Math.sqrt((6 * p.sigma ** 2 + 0.5) / 7), df: 7 })
    expect(erratic.sigma).toBeGreaterThan(2 * p.sigma)
    expect(caseNoiseEstimate(pooled, caseNoise([0, 0.1]), 0.04).sigma).toBeCloseTo(Math.sqrt((6 * p.sigma ** 2 + 0.005) / 7), 12)
    const prior = noiseEstimate({ ss: 0, df: 0 }, 0.04)
    expect(prior).toEqual({ sigma: 0.04, df: 4 })
    const lots = noiseEstimate({ ss: 0.01 * 1000, df: 1000 }, 0.04)
    expect(lots.sigma).toBeCloseTo(0.1, 2)
  })
})
