// What BENCH_SHARD and BENCH_START_AT mean, as pure functions in a leaf module (the knob schema, the load splitter
// and fuze-bench merge all read them).
export interface Shard {
  /** 1-based */
  index: number
  count: number
}

const SHARD_RE = /^\s*(\d+)\s*\/\s*(\d+)\s*$/

/** `i/n` with 1 ≤ i ≤ n; undefined for anything else. */
export function parseShard(raw: string | undefined): Shard | undefined {
  const m = raw === undefined ? null : SHARD_RE.exec(raw)
  if (!m) return undefined
  const index = Number(m[1])
  const count = Number(m[2])
  if (!(index >= 1 && index <= count)) return undefined
  // prints as it was written (env.json, effective env for the reporters), not as [object Object]
  return Object.defineProperty({ index, count }, 'toString', { value: () => `${index}/${count}`, enumerable: false })
}

export const shardLabel = (s: Shard) => `${s.index}/${s.count}`

/** Epoch milliseconds, or an ISO-8601 time with a zone (2026-12-01T20:30:00Z). */
export function parseInstant(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  const v = raw.trim()
  if (/^\d{10,}$/.test(v)) return Number(v)
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/.test(v)) return undefined
  const t = Date.parse(v)
  return Number.isFinite(t) ? t : undefined
}

/** This shard's part of `total` whole units: the remainder goes to the first shards. */
export function shareOf(total: number, s: Shard): number {
  return Math.floor(total / s.count) + (s.index <= total % s.count ? 1 : 0)
}
