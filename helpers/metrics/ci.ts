// Confidence intervals across repeated trials: a Student t interval on the per-trial values, because trials
// are few (BENCH_TRIALS is usually 3–10) and the normal approximation would claim too much certainty.
import { mean, sampleStandardDeviation } from 'simple-statistics'
import type { TrialCi } from '../types.ts'

// two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069,
  2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
]

export function tQuantile975(df: number): number {
  if (df < 1) return Infinity
  return df <= 30 ? T975[df - 1] : 1.96
}

/** 95% CI of the mean of `values`; null with fewer than two finite values. */
export function ci95(values: readonly (number | null)[]): TrialCi | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v))
  if (xs.length < 2) return null
  const m = mean(xs)
  const half = (tQuantile975(xs.length - 1) * sampleStandardDeviation(xs)) / Math.sqrt(xs.length)
  return { mean: m, lo: m - half, hi: m + half, halfWidth: half }
}
