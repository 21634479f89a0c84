// The one seeded PRNG and string hash of the project. The load generator (arrival schedules, synthetic
// prompts), the simulator (jitter, token choice) and the gate's bootstrap all replay exact sequences from a
// seed, and their tests pin those sequences: change nothing here without re-deriving every pinned value.

/** mulberry32: small and fast, good enough for jitter, arrivals and resampling; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** FNV-1a 32-bit hash of a string (UTF-16 code units): turns names and keys into seeds. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}
