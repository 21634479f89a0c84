// Run-level evidence for the regression gate. The unit of evidence is the *run*, not the request:
// run-to-run drift (CPU state, caches, other processes, thermals) moves every request of a run together,
// so two runs of the same code differ "significantly" when requests are treated as independent samples
// (the cause of the false alarms this replaces). Like Perfherder and Bencher, each run is reduced to
// one value per metric and the new run is compared with the spread of the baseline's runs.
//
// Model, on log values (changes are relative): a run's value y = μ + noise, noise ~ N(0, σ²).
// σ² is estimated per metric, pooled over the cases of the baseline (runs of the same suite on the
// same machine drift alike; the median case's variance, so one erratic case does not blunt the gate for
// all), and shrunk toward a prior σ₀ (BENCH_GATE_RUN_NOISE_PCT) worth ν₀ degrees of freedom — a scaled-inverse-χ² prior, so with a 1-run baseline the gate still has a noise figure
// (the prior), with heavy Student-t tails that keep it conservative, and with more runs the data take over.
// The current run's own sampling error (bootstrap over its requests) is a floor under σ.
// d = y_now − mean(y_baseline) ~ t_ν · σ·√(1 + 1/n), ν = ν₀ + pooled df.
import { quantileSorted } from 'simple-statistics'
import { mulberry32 } from '../helpers/rng.ts'

/** Weight of the prior noise figure, in degrees of freedom (≈ runs' worth of evidence about σ). */
export const PRIOR_DF = 4

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
 * Holm's step-down adjustment: adjusted p-values controlling the family-wise error rate (the chance of
 * even one false regression in the run) under any dependence between the tests. Same order as `ps`.
 */
export function holm(ps: readonly number[]): number[] {
  const m = ps.length
  const order = ps.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p)
  const out = new Array<number>(m)
  let running = 0
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p))
    out[i] = running
  })
  return out
}

/** Pooled run-to-run variance of one metric (log scale) from each case's baseline replicates. */
export interface PooledNoise {
  /** Σ over cases of Σ (y − ȳ_case)². */
  ss: number
  /** Σ over cases of (replicates − 1). */
  df: number
}

/** Σ (y − ȳ)² and df of one case's replicates. */
export function caseNoise(g: readonly number[]): PooledNoise {
  if (g.length < 2) return { ss: 0, df: 0 }
  const mean = g.reduce((a, b) => a + b, 0) / g.length
  let ss = 0
  for (const y of g) ss += (y - mean) ** 2
  return { ss, df: g.length - 1 }
}

/**
 * Pooled over cases, robustly: the median of the cases' variances (a plain pooled sum lets one erratic case —
 * a bimodal latency, a noisy neighbour — inflate every case's noise). It is worth the degrees of freedom of one
 * case, not their sum: the cases of a run share that run's drift, so three cases × three runs are still three
 * runs of evidence about it (counting 6 df made 3-run baselines over-confident: 2.9% false alarms at 5% spread).
 */
export function poolNoise(groups: ReadonlyArray<readonly number[]>): PooledNoise {
  const per = groups.map(caseNoise).filter((c) => c.df > 0)
  if (per.length === 0) return { ss: 0, df: 0 }
  const vars = per.map((c) => c.ss / c.df).sort((a, b) => a - b)
  const mid = vars.length / 2
  const median = vars.length % 2 ? vars[Math.floor(mid)] : (vars[mid - 1] + vars[mid]) / 2
  const df = Math.max(...per.map((c) => c.df))
  return { ss: median * df, df }
}

/**
 * A case's noise, two-level: the pooled figure (itself shrunk toward the prior) acts as the prior of the case's
 * own replicates, worth its degrees of freedom. A calm case gets about the pooled figure; an erratic one its own.
 */
export function caseNoiseEstimate(pooled: PooledNoise, own: PooledNoise, priorSigma: number): { sigma: number; df: number } {
  const p = noiseEstimate(pooled, priorSigma)
  return noiseEstimate(own, p.sigma, p.df)
}

/** Posterior noise figure: σ (log scale) and the degrees of freedom of the t distribution. */
export function noiseEstimate(pooled: PooledNoise, priorSigma: number, priorDf = PRIOR_DF): { sigma: number; df: number } {
  const df = priorDf + pooled.df
  return { sigma: Math.sqrt((priorDf * priorSigma ** 2 + pooled.ss) / df), df }
}

export interface RunLevelTest {
  /** ln(now) − mean ln(baseline replicates). */
  d: number
  /** Standard error of d: σ·√(1 + 1/n). */
  se: number
  df: number
  /** One-sided p-values: now worse than the baseline, now better. */
  pWorse: number
  pBetter: number
}

/**
 * The run-level test of one metric. `higherBetter` for throughput; `withinSe` is the current run's own
 * sampling error of ln(value), a floor under the run noise.
 */
export function runLevelTest(
  baseLogs: readonly number[],
  nowLog: number,
  noise: { sigma: number; df: number },
  withinSe: number,
  higherBetter: boolean,
): RunLevelTest {
  const mean = baseLogs.reduce((a, b) => a + b, 0) / baseLogs.length
  const d = nowLog - mean
  const sigma = Math.max(noise.sigma, withinSe)
  const se = sigma * Math.sqrt(1 + 1 / baseLogs.length)
  const t = se > 0 ? (higherBetter ? -d : d) / se : 0
  return {
    d,
    se,
    df: noise.df,
    pWorse: studentTUpper(t, noise.df),
    pBetter: studentTUpper(-t, noise.df),
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
