// Load shards (BENCH_SHARD=i/n): several client processes — on one host or many — each send their share of every
// case's load, so together they send the case once. Rates divide by n; stream counts and request counts split
// with the remainder going to the first shards (10 over 3 → 4, 3, 3). The first measured phase of each shard starts
// at the common instant BENCH_START_AT (later cases follow on from it); `fuze-bench merge` joins the shards' run
// folders into one.
import { getKnobs } from '../../env/index.ts'
import { onCaseEnd, onCaseStart, type CaseContext } from '../case-hooks.ts'
import type { LoadLevel } from './plan.ts'
import { parseShard, shardLabel, shareOf, type Shard } from './shard-spec.ts'

/** What this shard sends of a load level; `empty` says why it has nothing to send (fewer streams than shards). */
export function shardLevel(level: LoadLevel, s: Shard): { level: LoadLevel; empty?: string } {
  // a shard of a shard (BENCH_CLIENT_PROCS inside a BENCH_SHARD process) is one shard of the whole: it takes every
  // (n₁·n₂)-th workload item and draws its own arrivals
  const outer = level.shard ?? { index: 1, count: 1 }
  const whole = { index: (s.index - 1) * outer.count + outer.index, count: outer.count * s.count }
  const bounds = { ...level.bounds, ...(level.bounds.count !== undefined ? { count: shareOf(level.bounds.count, s) } : {}) }
  const shape =
    level.shape.mode === 'open'
      ? {
          ...level.shape,
          rate: level.shape.rate / s.count,
          // each shard draws its own arrivals: the same seed everywhere would send n copies of one schedule
          seed: (level.shape.seed ?? 1) + (whole.index - outer.index) * 7919,
          ...(level.shape.maxConcurrency !== undefined ? { maxConcurrency: Math.max(1, shareOf(level.shape.maxConcurrency, s)) } : {}),
        }
      : { ...level.shape, concurrency: shareOf(level.shape.concurrency, s) }
  // the shards take turns through one workload (item j, j+n, …): together they send the one-process case's prompts
  const out = { ...level, shape, bounds, shard: parseShard(`${whole.index}/${whole.count}`)! }
  const label = shardLabel(s)
  if (shape.mode === 'closed' && shape.concurrency === 0)
    return {
      level: out,
      empty: `shard ${label} has no stream of this case (${level.shape.mode === 'closed' ? level.shape.concurrency : 0} stream(s) over ${s.count} shards); use at most as many shards as streams`,
    }
  if (bounds.count === 0) return { level: out, empty: `shard ${label} has no request of this case (${level.bounds.count} request(s) over ${s.count} shards)` }
  return { level: out }
}

/** How a shard's measured phase met the common start: what goes into `summary.sections.shard`. */
export interface ShardSection {
  shard: string
  startAt: string | null
  /** ms this shard began after BENCH_START_AT (0 when it waited for it). */
  lateMs: number
}

/**
 * Wait (in this process, before the measured phase) until `startAt` epoch ms. A shard that is already past it
 * starts at once and says by how much it is late.
 */
export async function waitForStart(startAt: number | undefined, s: Shard, now: () => number = Date.now): Promise<ShardSection & { warning?: string }> {
  const base = { shard: shardLabel(s), startAt: startAt === undefined ? null : new Date(startAt).toISOString() }
  if (startAt === undefined) return { ...base, lateMs: 0 }
  const wait = startAt - now()
  if (wait > 0) await new Promise((r) => setTimeout(r, wait))
  // setTimeout may fire a little early; spin the last ms so the phase starts at the instant, not before
  while (now() < startAt) await new Promise((r) => setImmediate(r))
  const late = Math.max(0, now() - startAt)
  if (wait >= 0 || late < 5) return { ...base, lateMs: wait >= 0 ? 0 : late }
  return {
    ...base,
    lateMs: late,
    warning: `shard ${shardLabel(s)} started ${late} ms after BENCH_START_AT (${base.startAt}): its load overlaps the other shards' for less time; set BENCH_START_AT further ahead (every shard must be ready before it)`,
  }
}

// Only the first measured phase of a process is aligned on BENCH_START_AT; later cases start when this shard gets
// there (shards running the same schedule reach them within a request's latency of each other).
let aligned = false
const lateWarnings = new WeakMap<CaseContext, string>()

onCaseStart(async function shardStart(ctx) {
  const k = getKnobs()
  if (!k.BENCH_SHARD) return
  if (aligned) return ctx.attach('shard', { shard: shardLabel(k.BENCH_SHARD), startAt: null, lateMs: 0 } satisfies ShardSection)
  aligned = true
  const { warning, ...section } = await waitForStart(k.BENCH_START_AT, k.BENCH_SHARD)
  ctx.attach('shard', section)
  if (warning) lateWarnings.set(ctx, warning)
})

onCaseEnd(function shardLate(ctx, summary) {
  const w = lateWarnings.get(ctx)
  if (w) summary.warnings.push(w)
})
