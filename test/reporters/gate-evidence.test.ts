import { describe, expect, it } from 'vitest'
import { caseNoise, caseNoiseEstimate, holm, metricEvidence, noiseEstimate, ONE_RUN_PRIOR_DF, studentTUpper } from '../../reporters/gate-evidence.ts'

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

  it('weighted Holm: p / w against α over the weight still in play; equal weights are plain Holm', () => {
    expect(holm([0.01, 0.04, 0.03, 0.005], [1, 1, 1, 1])).toEqual(holm([0.01, 0.04, 0.03, 0.005]))
    // weights 3 and 1 (total 4): p / w orders the heavy test first, judged on 0.02 · 4 / 3; then the light one on
    // 0.01 · 1 / 1, raised to the running maximum (step-down adjusted p-values never decrease)
    const adj = holm([0.02, 0.01], [3, 1])
    expect(adj[0]).toBeCloseTo((0.02 * 4) / 3, 12)
    expect(adj[1]).toBeCloseTo((0.02 * 4) / 3, 12)
    expect(holm([0.02, 0.001], [3, 1])[1]).toBeCloseTo(0.004, 12)
  })

  it('shrinks a noise estimate toward the prior, and a case toward the pooled figure', () => {
    expect(noiseEstimate({ ss: 0, df: 0 }, 0.04)).toEqual({ sigma: 0.04, df: 4 })
    expect(noiseEstimate({ ss: 0.01 * 1000, df: 1000 }, 0.04).sigma).toBeCloseTo(0.1, 2)
    const pooled = { ss: 0.01 * 2, df: 2 }
    const p = noiseEstimate(pooled, 0.04)
    expect(p.df).toBe(6)
    // the case's own residuals (1 df) are part of the pool: the pooled figure counts 6 − 1 df as its prior
    const erratic = caseNoiseEstimate(pooled, caseNoise([2, 3]), 0.04)
    expect(erratic).toEqual({ sigma: Math.sqrt((5 * p.sigma ** 2 + 0.5) / 6), df: 6 })
    expect(erratic.sigma).toBeGreaterThan(2 * p.sigma)
  })
})

describe('metricEvidence: the run-level test and the case tests of one metric', () => {
  const reps = (...ys: number[]) => new Map(ys.map((y, i) => [`run${i}`, y]))
  const lag = 0.05

  it('drift shared by every case is measured once per run: 3 runs give 2 df, whatever the number of cases', () => {
    // three cases, three runs; each run moves every case by the same drift (+0.02, 0, −0.02)
    const drift = [0.02, 0, -0.02]
    const cases = [1, 2, 3].map((mu) => ({ replicates: reps(...drift.map((d) => mu + d)), now: mu + 0.1, withinSe: 0 }))
    const ev = metricEvidence(cases, lag, false)
    expect(ev.run.df).toBe(4 + 2)
    // σ² = (4·0.05² + Σ drift²) / 6, se = σ·√(1 + 1/3)
    const sigma = Math.sqrt((4 * lag ** 2 + 2 * 0.02 ** 2) / 6)
    expect(ev.run.sigma).toBeCloseTo(sigma, 12)
    expect(ev.run.d).toBeCloseTo(0.1, 12)
    expect(ev.run.se).toBeCloseTo(sigma * Math.sqrt(4 / 3), 12)
    expect(ev.run.pWorse).toBeCloseTo(studentTUpper(0.1 / (sigma * Math.sqrt(4 / 3)), 6), 12)
    expect(ev.run.pWorse + ev.run.pBetter).toBeCloseTo(1, 12)
    // every case moved alike: no case moved beyond its run, and the drift left no residual
    for (const c of ev.cases) {
      expect(c!.d).toBeCloseTo(0, 12)
      expect(c!.pWorse).toBeCloseTo(0.5, 12)
      // residual df (3 − 1)(3 − 1) = 4, plus the prior's 4
      expect(c!.df).toBeCloseTo(4 + 4, 12)
    }
  })

  it('one case slower while the others are not: its case test carries the evidence, drift-free', () => {
    const drift = [0.03, -0.01, -0.02]
    const cases = [1, 2, 3, 4].map((mu, i) => ({
      replicates: reps(...drift.map((d, r) => mu + d + 0.005 * ((i + r) % 2))),
      now: mu + (i === 0 ? 0.3 : 0),
      withinSe: 0.01,
    }))
    const ev = metricEvidence(cases, lag, false)
    const centre = (c: (typeof cases)[number]) => [...c.replicates.values()].reduce((a, b) => a + b, 0) / c.replicates.size
    const D = cases.reduce((a, c) => a + c.now - centre(c), 0) / cases.length
    expect(ev.run.d).toBeCloseTo(D, 12)
    expect(ev.cases[0]!.d).toBeCloseTo(cases[0].now - centre(cases[0]) - D, 12)
    expect(ev.cases[0]!.pWorse).toBeLessThan(1e-4)
    expect(ev.cases[0]!.pWorse).toBeLessThan(ev.run.pWorse)
    for (const c of ev.cases.slice(1)) expect(c!.pBetter).toBeLessThan(0.5)
  })

  it('tok/s: higher is better, so a drop is the worse side; a single case has no case test', () => {
    const ev = metricEvidence([{ replicates: reps(Math.log(50)), now: Math.log(40), withinSe: 0 }], lag, true)
    expect(ev.cases).toEqual([null])
    // a 1-run baseline: the assumed noise is worth ONE_RUN_PRIOR_DF runs of evidence
    expect(ev.run.df).toBe(ONE_RUN_PRIOR_DF)
    expect(ev.run.pWorse).toBeCloseTo(studentTUpper(-Math.log(0.8) / (lag * Math.SQRT2), ONE_RUN_PRIOR_DF), 12)
  })
})
