// Garbage collection where it cannot make a request late. V8 collects its young generation whenever it fills up,
// and a scavenge stops this process for 1–10 ms: in four replays of a 100-request trace against the simulator (client
// at real-time priority, so the shared machine's other work could not interfere), 6 of the 8 requests sent more than
// 3 ms after their due time had a scavenge running at that moment (up to 11 ms late, against a p90 of 1.2 ms). The
// open loop knows its due times, so it collects in the gaps instead: before a phase, one full collection (nothing of
// the warmup or the previous trial is left to collect mid-phase); after a release whose next due time is far enough
// away, a young-generation collection once that space is half full, so it rarely fills up on its own at a due time.
// The collector is V8's gc extension, enabled for one new context (the way Jest's leak detector gets it); the
// process's own global `gc` stays as it was. Where the runtime refuses, nothing is forced.
import { setTimeout as sleep } from 'node:timers/promises'
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

type GcFn = (opts?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void

let handle: GcFn | null | undefined

function collector(): GcFn | null {
  if (handle !== undefined) return handle
  const own = (globalThis as { gc?: GcFn }).gc
  if (typeof own === 'function') return (handle = own)
  try {
    setFlagsFromString('--expose-gc')
    handle = runInNewContext('gc') as GcFn
    setFlagsFromString('--no-expose-gc')
  } catch {
    handle = null
  }
  return typeof handle === 'function' ? handle : (handle = null)
}

/** Young space filled past this share is collected in a gap (a fuller one may fill up on its own before the next gap). */
const YOUNG_FULL = 0.5
/** Time left for the release before a gap's collection to finish its socket write (undici checks an idle socket first). */
const SETTLE_MS = 2

function youngFill(): number {
  const s = getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')
  if (!s) return 0
  const cap = s.space_used_size + s.space_available_size
  return cap > 0 ? s.space_used_size / cap : 0
}

/** Collections of one phase: how many young ones were forced in gaps, and how long one takes (ms, decaying average). */
export class GapCollector {
  forced = 0
  typicalMs = 2
  private readonly gc = collector()

  /** A full collection now (before the phase's clock starts). */
  beforePhase(): void {
    this.gc?.({ type: 'major' })
  }

  /** Room a young collection needs before the next due time: twice a typical one (a slow one must not make it late). */
  private need(): number {
    return 2 * Math.max(1, this.typicalMs)
  }

  /**
   * Called after a release, with the time its request is written (`written`) and the next release's time: when the gap
   * leaves room for that socket write and then a young collection, and the young space is half full, collect it then.
   */
  async inGap(written: number, nextDue: number, signal: AbortSignal): Promise<void> {
    const from = Math.max(performance.now(), written)
    if (!this.gc || nextDue - from < SETTLE_MS + this.need() || youngFill() < YOUNG_FULL) return
    await sleep(from + SETTLE_MS - performance.now(), undefined, { signal }).catch(() => undefined)
    if (signal.aborted || nextDue - performance.now() < this.need()) return
    const t = performance.now()
    this.gc({ type: 'minor' })
    this.forced++
    // a decaying average: one collection slowed by a busy machine must not stop every later one
    this.typicalMs = 0.7 * this.typicalMs + 0.3 * (performance.now() - t)
  }
}
