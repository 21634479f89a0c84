// Distribution summaries: one definition of percentiles for every metric and reporter.
import { mean, quantileSorted, standardDeviation } from 'simple-statistics'
import type { Dist } from '../record-types.ts'

export const EMPTY_DIST: Dist = { n: 0, mean: null, std: null, min: null, max: null, p50: null, p90: null, p95: null, p99: null }

/** Percentiles use simple-statistics' quantileSorted (nearest-rank style); std is the population standard deviation. */
export function dist(values: readonly number[]): Dist {
  const xs = values.filter((v) => Number.isFinite(v))
  if (xs.length === 0) return { ...EMPTY_DIST }
  const sorted = Float64Array.from(xs).sort()
  const arr = Array.from(sorted)
  return {
    n: arr.length,
    mean: mean(arr),
    std: arr.length > 1 ? standardDeviation(arr) : 0,
    min: arr[0],
    max: arr[arr.length - 1],
    p50: quantileSorted(arr, 0.5),
    p90: quantileSorted(arr, 0.9),
    p95: quantileSorted(arr, 0.95),
    p99: quantileSorted(arr, 0.99),
  }
}

export function median(values: readonly number[]): number | null {
  return dist(values).p50
}
