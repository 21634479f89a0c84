// Seeded randomness: everything random in the simulator derives from (seed, request id) or
// (seed, token position), so a run is reproducible whatever order concurrent requests arrive in.

import { fnv1a, mulberry32 } from '../helpers/rng.ts'

export { fnv1a }

export function rngFor(seed: number, key: string): () => number {
  return mulberry32(fnv1a(`${seed}\u0000${key}`))
}
