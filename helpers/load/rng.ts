// Seeded randomness for arrival processes and synthetic prompt lengths, so a run's schedule can be replayed exactly.

export { mulberry32 as seededRng } from '../rng.ts'

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
