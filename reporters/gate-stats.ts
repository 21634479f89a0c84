// Significance tests for the regression gate, on per-request samples.
// - Mann-Whitney U (one-sided) for tok/s and p50 metrics: rank-based, so one slow outlier request cannot
//   fake a shift, no normality assumption, and exact for small samples (BENCH_REQUESTS is often 10).
// - Percentile bootstrap CI of the relative change for p99 metrics: a tail can move while the median
//   does not, which a rank test would miss; the bootstrap tests the very statistic the threshold is on.
import { errorFunction, quantileSorted } from 'simple-statistics'
import { fnv1a, mulberry32 } from '../helpers/rng.ts'

export type Alternative = 'greater' | 'less'

/** Distribution of U under H0 for sizes (n1, n2), no ties: counts[u] / C(n1+n2, n1). */
function exactUCounts(n1: number, n2: number): Float64Array {
  // f[i][j] over u, built by the recurrence f(i,j,u) = f(i-1,j,u-j) + f(i,j-1,u)
  let prev: Float64Array[] = Array.from({ length: n2 + 1 }, () => Float64Array.of(1))
  for (let i = 1; i <= n1; i++) {
    const cur: Float64Array[] = [Float64Array.of(1)]
    for (let j = 1; j <= n2; j++) {
      const out = new Float64Array(i * j + 1)
      const a = prev[j]
      for (let u = 0; u < a.length; u++) out[u + j] += a[u]
      const b = cur[j - 1]
      for (let u = 0; u < b.length; u++) out[u] += b[u]
      cur.push(out)
    }
    prev = cur
  }
  return prev[n2]
}

const normalCdf = (z: number) => 0.5 * (1 + errorFunction(z / Math.SQRT2))

/**
 * One-sided Mann-Whitney U test. alternative 'greater': x tends to be larger than y.
 * Returns the p-value (1 when either sample is empty). Exact without ties for n1, n2 ≤ 30; otherwise
 * the normal approximation with tie and continuity correction.
 */
export function mannWhitney(x: readonly number[], y: readonly number[], alternative: Alternative): number {
  const n1 = x.length
  const n2 = y.length
  if (n1 === 0 || n2 === 0) return 1
  const all = [...x.map((v) => ({ v, g: 0 })), ...y.map((v) => ({ v, g: 1 }))].sort((a, b) => a.v - b.v)
  const ranks = new Float64Array(all.length)
  let tieTerm = 0
  for (let i = 0; i < all.length; ) {
    let j = i
    while (j + 1 < all.length && all[j + 1].v === all[i].v) j++
    const t = j - i + 1
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1
    tieTerm += t ** 3 - t
    i = j + 1
  }
  let r1 = 0
  all.forEach((e, k) => {
    if (e.g === 0) r1 += ranks[k]
  })
  const u1 = r1 - (n1 * (n1 + 1)) / 2 // large when x is larger
  const stat = alternative === 'greater' ? u1 : n1 * n2 - u1
  if (tieTerm === 0 && n1 <= 30 && n2 <= 30) {
    const counts = exactUCounts(n1, n2)
    let total = 0
    let tail = 0
    counts.forEach((c, u) => {
      total += c
      if (u >= stat) tail += c
    })
    return tail / total
  }
  const n = n1 + n2
  const mu = (n1 * n2) / 2
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))))
  if (sigma === 0) return 1
  return 1 - normalCdf((stat - mu - 0.5) / sigma)
}

// The bootstrap's PRNG and the seed hash are the project's one implementation, re-exported for callers.
export { fnv1a as seedOf, mulberry32 }

function resampleQuantile(xs: readonly number[], q: number, rnd: () => number): number {
  const s = new Float64Array(xs.length)
  for (let i = 0; i < xs.length; i++) s[i] = xs[Math.floor(rnd() * xs.length)]
  s.sort()
  return quantileSorted(Array.from(s), q)
}

/**
 * Percentile bootstrap 95% CI of (quantile_q(now) / quantile_q(base) − 1), in percent.
 * Both samples are resampled independently `rounds` times with a seeded PRNG.
 */
export function bootstrapChangeCi(
  base: readonly number[],
  now: readonly number[],
  q: number,
  seed: number,
  rounds = 2000,
  level = 0.95,
): [number, number] | null {
  if (base.length === 0 || now.length === 0) return null
  const rnd = mulberry32(seed)
  const changes: number[] = []
  for (let i = 0; i < rounds; i++) {
    const b = resampleQuantile(base, q, rnd)
    const n = resampleQuantile(now, q, rnd)
    if (b > 0) changes.push((n / b - 1) * 100)
  }
  if (changes.length === 0) return null
  changes.sort((a, b) => a - b)
  const lo = quantileSorted(changes, (1 - level) / 2)
  const hi = quantileSorted(changes, 1 - (1 - level) / 2)
  return [lo, hi]
}
