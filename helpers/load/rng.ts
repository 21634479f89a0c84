// Seeded randomness for arrival processes and synthetic prompt lengths, so a run's schedule can be replayed exactly.

/** mulberry32: small, fast, good enough for inter-arrival times; returns floats in [0, 1). */
export function seededRng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Exponential variate with mean 1 (never 0 or Infinity: the uniform is kept inside (0, 1)). */
export function unitExponential(rng: () => number): number {
  const u = rng()
  return -Math.log(1 - Math.min(u, 1 - 2 ** -53))
}

/** Normal variate (Box–Muller), for "mean ± stddev" lengths. */
export function normal(rng: () => number, mean: number, std: number): number {
  if (std <= 0) return mean
  const u = Math.max(rng(), 2 ** -53)
  const v = rng()
  return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}
