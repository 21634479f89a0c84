// Run-level evidence for the regression gate. The unit of evidence is the *run*, not the request:
// run-to-run drift (CPU state, caches, other processes, thermals) moves every request of a run together,
// so two runs of the same code differ "significantly" when requests are treated as independent samples
// (the cause of the false alarms this replaces). Like Perfherder and Bencher, each run is reduced to
// one value per metric and the new run is compared with the spread of the baseline's runs.
//
// Model, per gated metric, on log values (changes are relative): case c in baseline replicate r (a run,
// or a trial of a run) has y = μ_c + δ_r + ε_rc. δ_r is the run's drift, shared by every case of the run;
// ε_rc is the case's own noise (its ~10 requests' sampling error, case-specific hiccups).
// Two tests per metric, because the two noise terms are measured with very different precision:
// - the run-level test, of the mean change over the run's cases, D = mean_c(y_now,c − ȳ_c). A regression
//   of the code under test moves every case, as drift does; averaging the cases cancels most of ε and
//   tests D against the spread of the baseline replicates' case-means (σ², n − 1 df for n replicates:
//   drift has only as many degrees of freedom as there are runs, however many cases share it). σ² is
//   shrunk toward a prior σ₀ (BENCH_GATE_RUN_NOISE_PCT) worth PRIOR_DF degrees of freedom — a
//   scaled-inverse-χ² prior, so with a 1-run baseline the gate still has a noise figure (the prior)
//   with heavy Student-t tails that keep it conservative, and with more runs the data take over.
//   D ~ t_ν · σ·√(1 + 1/n), ν = PRIOR_DF + n − 1 (ONE_RUN_PRIOR_DF for a 1-run baseline). The current run's own sampling error of D (bootstrap over
//   its requests, averaged over the cases) is a floor under σ.
// - the case test, of one case's change beyond the run's, e_c = d_c − D: drift cancels, so its noise is
//   ε alone, pooled over the cases ((n − 1)(C − 1) df: here pooling across cases is honest), shrunk toward
//   the prior and then, two-level, toward each case's own residuals; the current run's bootstrap standard
//   error over its requests is a floor under it. It catches the one case that got slower while the others
//   did not, which the run-level mean dilutes by the number of cases.
// Measured (benches/harness/gate-error-rates.bench.ts): the run-level test is what detects a change of
// the whole suite; the old per-case test against the case's own 2-df spread, floored by a per-case bootstrap
// that overstates a 10-request median's error 2–3×, detected 75% of true 15–20% changes (averaged over the
// cases, the same floor rarely binds).
import { quantileSorted } from 'simple-statistics'
import { median } from '../helpers/metrics/dist.ts'
import { mulberry32 } from '../helpers/rng.ts'

/** Weight of the prior noise figure, in degrees of freedom (≈ runs' worth of evidence about σ). */
export const PRIOR_DF = 4

/**
 * The prior's weight when the baseline is one run: nothing about the drift has been measured, and a shared or busy
 * machine moves a whole unchanged run by 30–80% (four unchanged llama.cpp runs against one on the 2-core dev
 * machine, another process busy beside them) — far beyond any assumed σ₀. Worth two runs of evidence, the
 * run-level test's t₂ tails let a whole-run shift count from about 2× (σ₀ 4%), so a 3× drop still fails while a
 * busy machine's 30–80% does not; the case test (one case against the rest of its run, where drift cancels) is
 * unchanged. Save 3+ runs and the measured spread takes over.
 */
export const ONE_RUN_PRIOR_DF = 2

/** Regularized incomplete beta I_x(a, b) by its continued fraction (modified Lentz). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0
  if (x >= 1) return 1
  const lnFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * Math.log(x) + b * Math.log(1 - x)
  // the fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a)
  const tiny = 1e-300
  let c = 1
  let d = 1 - ((a + b) * x) / (a + 1)
  if (Math.abs(d) < tiny) d = tiny
  d = 1 / d
  let f = d
  for (let m = 1; m <= 300; m++) {
    for (const num of [(m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)), (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))]) {
      d = 1 + num * d
      if (Math.abs(d) < tiny) d = tiny
      c = 1 + num / c
      if (Math.abs(c) < tiny) c = tiny
      d = 1 / d
      f *= d * c
    }
    if (Math.abs(d * c - 1) < 1e-14) break
  }
  return (Math.exp(lnFront) * f) / a
}

/** ln Γ(x), Lanczos approximation (g = 7, 9 terms): ~1e-15 relative for x > 0. */
function lgamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ]
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma(1 - x)
  const z = x - 1
  let s = g[0]
  for (let i = 1; i < 9; i++) s += g[i] / (z + i)
  const t = z + 7.5
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s)
}

/** P(T ≥ t) for Student's t with `df` degrees of freedom (upper tail). */
export function studentTUpper(t: number, df: number): number {
  if (!Number.isFinite(t)) return t > 0 ? 0 : 1
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5)
  return t >= 0 ? tail : 1 - tail
}

/**
 * Holm's step-down adjustment, weighted (Holm 1979): adjusted p-values controlling the family-wise error
 * rate (the chance of even one false rejection in the family) under any dependence between the tests.
 * A test of weight w is judged on p / w against α / (the weight of the tests still in play); equal
 * weights (the default) give the plain Holm procedure. Same order as `ps`.
 */
export function holm(ps: readonly number[], weights: readonly number[] = ps.map(() => 1)): number[] {
  const order = ps.map((p, i) => ({ p, w: weights[i], i })).sort((a, b) => a.p / a.w - b.p / b.w)
  const out = new Array<number>(ps.length)
  let left = weights.reduce((x, y) => x + y, 0)
  let running = 0
  for (const { p, w, i } of order) {
    running = Math.max(running, Math.min(1, (p * left) / w))
    out[i] = running
    left -= w
  }
  return out
}

/** Sum of squares and degrees of freedom behind a variance. */
export interface PooledNoise {
  ss: number
  df: number
}

/** Σ (y − ȳ)² and df of one set of replicates. */
export function caseNoise(g: readonly number[]): PooledNoise {
  if (g.length < 2) return { ss: 0, df: 0 }
  const mean = g.reduce((a, b) => a + b, 0) / g.length
  let ss = 0
  for (const y of g) ss += (y - mean) ** 2
  return { ss, df: g.length - 1 }
}

/**
 * A case's noise, two-level: the pooled figure (itself shrunk toward the prior) acts as the prior of the case's
 * own residuals. The case's residuals are part of the pool, so the prior counts the pooled df less the case's
 * own, and the result has the pooled df: a calm case gets about the pooled figure, an erratic one much of its own.
 */
export function caseNoiseEstimate(pooled: PooledNoise, own: PooledNoise, priorSigma: number): { sigma: number; df: number } {
  const p = noiseEstimate(pooled, priorSigma)
  return noiseEstimate(own, p.sigma, p.df - own.df)
}

/** Posterior noise figure: σ (log scale) and the degrees of freedom of the t distribution. */
export function noiseEstimate(pooled: PooledNoise, priorSigma: number, priorDf = PRIOR_DF): { sigma: number; df: number } {
  const df = priorDf + pooled.df
  return { sigma: Math.sqrt((priorDf * priorSigma ** 2 + pooled.ss) / df), df }
}

export interface RunLevelTest {
  /** The change tested (log scale): the run-level mean change, or the case's change beyond it. */
  d: number
  /** Its standard error. */
  se: number
  /** Noise figure behind `se` (log scale, one run) and the t distribution's degrees of freedom. */
  sigma: number
  df: number
  /** One-sided p-values: now worse than the baseline, now better. */
  pWorse: number
  pBetter: number
}

/** One case's side of a metric: ln of each baseline replicate by replicate key (run id, or run id + trial), ln now. */
export interface CaseSeries {
  replicates: ReadonlyMap<string, number>
  now: number
  /** The current run's own sampling error of ln(value) (bootstrap over its requests): a floor under the noise of both tests. */
  withinSe: number
}

export interface MetricEvidence {
  /** The run-level test of the mean change over the cases. */
  run: RunLevelTest
  /** Per case (same order as the input), its change beyond the run-level one; null with a single case. */
  cases: Array<RunLevelTest | null>
}

function tTest(d: number, se: number, sigma: number, df: number, higherBetter: boolean): RunLevelTest {
  const t = se > 0 ? (higherBetter ? -d : d) / se : 0
  return { d, se, sigma, df, pWorse: studentTUpper(t, df), pBetter: studentTUpper(-t, df) }
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

/** The run-level and case tests of one metric over a run's cases (see the model above). `priorSigma` is σ₀, log scale. */
export function metricEvidence(cases: readonly CaseSeries[], priorSigma: number, higherBetter: boolean): MetricEvidence {
  const centre = cases.map((c) => mean([...c.replicates.values()]))
  // each replicate's drift: the mean over the cases it holds of their deviation from their own mean
  const keys = [...new Set(cases.flatMap((c) => [...c.replicates.keys()]))]
  const drift = new Map(
    keys.map((k) => {
      const devs = cases.flatMap((c, i) => (c.replicates.has(k) ? [c.replicates.get(k)! - centre[i]] : []))
      return [k, mean(devs)] as const
    }),
  )
  const n = keys.length
  const runNoise = noiseEstimate(caseNoise([...drift.values()]), priorSigma, n === 1 ? ONE_RUN_PRIOR_DF : PRIOR_DF)
  const d = cases.map((c, i) => c.now - centre[i])
  const D = mean(d)
  // the current run's own sampling error of D (its cases' bootstrap errors, averaged) is a floor: it binds when this
  // run is noisier than the baseline runs were, or with a 1-run baseline, where nothing else is measured
  const runSigma = Math.max(runNoise.sigma, Math.sqrt(cases.reduce((a, c) => a + c.withinSe ** 2, 0)) / cases.length)
  const run = tTest(D, runSigma * Math.sqrt(1 + 1 / n), runSigma, runNoise.df, higherBetter)
  if (cases.length < 2) return { run, cases: cases.map(() => null) }
  // residuals with the drift removed: ε alone, pooled over the cases
  const own = cases.map((c, i) => {
    let ss = 0
    for (const [k, y] of c.replicates) ss += (y - centre[i] - drift.get(k)!) ** 2
    return { ss, df: c.replicates.size - 1 }
  })
  const C = cases.length
  const obs = cases.reduce((a, c) => a + c.replicates.size, 0)
  const dfRes = Math.max(0, obs - C - n + 1)
  const dfOwn = own.reduce((a, o) => a + o.df, 0)
  // each case's residuals carry its share of the residual df (balanced: (n − 1)(C − 1)/C)
  const res = own.map((o) => ({ ss: o.ss, df: dfOwn > 0 ? (dfRes * o.df) / dfOwn : 0 }))
  // the median case's residual variance (one erratic case must not blunt every case's test), worth the pooled df
  const vars = res.filter((o) => o.df > 0).map((o) => o.ss / o.df)
  const pooled: PooledNoise = vars.length ? { ss: (median(vars) ?? 0) * dfRes, df: dfRes } : { ss: 0, df: 0 }
  return {
    run,
    cases: cases.map((c, i) => {
      const noise = caseNoiseEstimate(pooled, res[i], priorSigma)
      const sigma = Math.max(noise.sigma, c.withinSe)
      // Var(d_c − D) = σ_ε²·(1 + 1/n_c)·(1 − 1/C): the case's share of D cancels
      return tTest(d[i] - D, sigma * Math.sqrt((1 + 1 / c.replicates.size) * (1 - 1 / C)), sigma, noise.df, higherBetter)
    }),
  }
}

/** Bootstrap standard error of ln(quantile_q) over one run's per-request samples (seeded, deterministic). */
export function bootstrapLogSe(xs: readonly number[], q: number, seed: number, rounds = 200): number {
  const pos = xs.filter((v) => v > 0)
  if (pos.length < 2) return 0
  const rnd = mulberry32(seed)
  const s = new Float64Array(pos.length)
  let sum = 0
  let sum2 = 0
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < pos.length; i++) s[i] = pos[Math.floor(rnd() * pos.length)]
    s.sort()
    const v = Math.log(quantileSorted(Array.from(s), q))
    sum += v
    sum2 += v * v
  }
  const mean = sum / rounds
  return Math.sqrt(Math.max(0, sum2 / rounds - mean * mean))
}

/** The t such that P(T ≥ t) = p for Student's t with `df` degrees of freedom (0 < p < 1), by bisection on the upper tail. */
export function studentTQuantileUpper(p: number, df: number): number {
  let lo = -1e3
  let hi = 1e3
  for (let i = 0; i < 200 && hi - lo > 1e-10; i++) {
    const mid = (lo + hi) / 2
    if (studentTUpper(mid, df) > p) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}
