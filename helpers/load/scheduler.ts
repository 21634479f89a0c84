// Schedulers: closed loop (a fixed number of streams, each sending its next request when the last one ends)
// and open loop (requests released at absolute due times from an arrival process, optionally under a
// concurrency cap). Every request carries its due time, so the time it spent waiting in this client is
// measured apart from the server's latency. The scheduler knows when the load it promised was fully
// applied, and reports that as the steady-state window.
import type { RequestRecord } from '../types.ts'
import { arrivalOffsets, type ArrivalProcess } from './arrivals.ts'
import { waitUntil } from './clock.ts'
import { GapCollector } from './gc-gaps.ts'

export type LoadShape =
  | { mode: 'closed'; concurrency: number; rampUpS?: number }
  | {
      mode: 'open'
      rate: number
      /** 'trace': due times come from `offsetsMs` (a replayed trace); `rate` is then the trace's mean rate. */
      arrival: ArrivalProcess | 'trace'
      rampUpS?: number
      seed?: number
      maxConcurrency?: number
      /** Due offsets (ms from the phase start, ascending) that replace the arrival process's draws. */
      offsetsMs?: readonly number[]
    }

/** The most requests a shape has in flight by construction: a closed loop's concurrency, an open loop's cap (none: unbounded). */
export function inFlightCap(shape: LoadShape): number | undefined {
  return shape.mode === 'closed' ? shape.concurrency : shape.maxConcurrency
}

/**
 * How long before its due time an open loop hands a request to a sender that honours SendSlot.sendAt (run-load's:
 * runSchedule's `handoverMs`). The client builds it meanwhile (its prompt, the JSON body, the protocol's parser:
 * 0.2–0.5 ms a request, up to 1.4 ms cold, one after another for requests due together) and writes it at its due
 * time (transport.ts). Replaying 60 requests of a real Azure trace in real time on
 * the simulator, the send lag p50 went from 0.77–0.98 ms to 0.39–0.43 ms (3 runs each; 2 ms and 5 ms did no better).
 */
export const HANDOVER_MS = 3

export interface LoadBounds {
  /** Requests to send in all. */
  count?: number
  /** No request is released after this many ms from the start. */
  durationMs?: number
}

export interface SendSlot {
  /** 0-based order of release (picks the prompt of a workload). */
  index: number
  /** performance.now() the request became due: queueMs = actual send − tDue. */
  tDue: number
  /**
   * Open loops: when the request is to be written (its due time, or the moment the concurrency cap let it go). With
   * runSchedule's `handoverMs` the slot comes that much earlier, and the sender must not write it before sendAt.
   */
  sendAt?: number
  signal: AbortSignal
  /**
   * The steady-state window as it stands now (absolute performance.now()): start undefined while the full load is
   * not applied yet, end Infinity until it ends. A request that finishes now lies before the window (no start yet)
   * or ends before the window does (no end yet), so window sums can be folded as requests finish (metrics/load.ts).
   */
  window: () => { start: number | undefined; end: number }
}

export type Sender = (slot: SendSlot) => Promise<RequestRecord>

/** Sees each finished request in turn (keeping its own counts); returns a reason to stop the phase early, or undefined. */
export type AbortCheck = (finished: RequestRecord) => string | undefined

/**
 * Told of every release as it happens. With an observer the phase keeps no per-request lists (records, lags,
 * offsets are empty in the result): memory stays flat however many requests a phase sends.
 */
export interface ScheduleObserver {
  release(dispatchLagMs: number, dueOffsetMs: number, releaseOffsetMs: number): void
}

export interface ScheduleResult {
  records: RequestRecord[]
  /** performance.now() the phase started (due times are relative to it). */
  t0: number
  tEnd: number
  /** Absolute performance.now() bounds of the interval in which the full load was applied; null when it never was. */
  steady: { start: number; end: number } | null
  /** Per released request: release − the moment it was allowed to go (due time, or a free slot under a cap). */
  dispatchLagMs: number[]
  /** Due offsets (ms from t0) and actual release offsets, in release order. */
  dueOffsetsMs: number[]
  releaseOffsetsMs: number[]
  /** Most requests in flight at once, as this client counted them. */
  maxInFlight: number
  aborted?: string
}

export function checkShape(shape: LoadShape, bounds: LoadBounds): void {
  if (shape.mode === 'closed' && !(Number.isInteger(shape.concurrency) && shape.concurrency >= 1))
    throw new Error(`concurrency must be a whole number ≥ 1, got ${shape.concurrency}: fix BENCH_CONCURRENCY or the case's concurrency option.`)
  if (shape.mode === 'open' && shape.maxConcurrency !== undefined && !(shape.maxConcurrency >= 1))
    throw new Error(`maxConcurrency must be ≥ 1, got ${shape.maxConcurrency}: fix the case's maxConcurrency option.`)
  if (bounds.count === undefined && bounds.durationMs === undefined)
    throw new Error('a load phase needs a bound: a request count (BENCH_REQUESTS / requests) or a duration (BENCH_DURATION / duration).')
  if (bounds.count !== undefined && !(Number.isInteger(bounds.count) && bounds.count >= 0))
    throw new Error(`request count must be a whole number ≥ 0, got ${bounds.count}: fix BENCH_REQUESTS or the case's requests option.`)
  if (bounds.durationMs !== undefined && !(bounds.durationMs > 0))
    throw new Error(`duration must be > 0 s, got ${bounds.durationMs / 1000}: fix BENCH_DURATION or the case's duration option.`)
}

class Phase {
  readonly records: RequestRecord[] = []
  readonly dispatchLagMs: number[] = []
  readonly dueOffsetsMs: number[] = []
  readonly releaseOffsetsMs: number[] = []
  readonly ac = new AbortController()
  readonly t0 = performance.now()
  inFlight = 0
  maxInFlight = 0
  aborted: string | undefined
  /** Live steady-state bounds (absolute), as the loops learn them. */
  steadyStart: number | undefined
  steadyEnd = Infinity
  private readonly windowNow = () => ({ start: this.steadyStart, end: this.steadyEnd })

  constructor(
    private readonly send: Sender,
    private readonly check: AbortCheck | undefined,
    private readonly observer: ScheduleObserver | undefined,
  ) {}

  /**
   * Release one request now (`tAllowed`: when it was meant to be, the dispatch lag is how late this is); resolves when
   * it has finished and been recorded. `sendAt` (open loops): when the transport is to write it.
   */
  async release(index: number, tDue: number, tAllowed: number, sendAt?: number): Promise<void> {
    const now = performance.now()
    const lag = Math.max(0, now - tAllowed)
    if (this.observer) this.observer.release(lag, tDue - this.t0, now - this.t0)
    else {
      this.dispatchLagMs.push(lag)
      this.dueOffsetsMs.push(tDue - this.t0)
      this.releaseOffsetsMs.push(now - this.t0)
    }
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    let rec: RequestRecord
    try {
      rec = await this.send({ index, tDue, ...(sendAt !== undefined ? { sendAt } : {}), signal: this.ac.signal, window: this.windowNow })
      if (!this.observer) this.records.push(rec)
    } finally {
      this.inFlight--
    }
    if (this.aborted === undefined && this.check) {
      const why = this.check(rec)
      if (why !== undefined) {
        this.aborted = why
        this.ac.abort(new Error(why))
      }
    }
  }

  result(steady: ScheduleResult['steady']): ScheduleResult {
    return {
      records: this.records,
      t0: this.t0,
      tEnd: performance.now(),
      steady: steady && steady.end > steady.start ? steady : null,
      dispatchLagMs: this.dispatchLagMs,
      dueOffsetsMs: this.dueOffsetsMs,
      releaseOffsetsMs: this.releaseOffsetsMs,
      maxInFlight: this.maxInFlight,
      ...(this.aborted !== undefined ? { aborted: this.aborted } : {}),
    }
  }
}

async function closedLoop(shape: Extract<LoadShape, { mode: 'closed' }>, bounds: LoadBounds, p: Phase): Promise<ScheduleResult> {
  const c = shape.concurrency
  const deadline = bounds.durationMs !== undefined ? p.t0 + bounds.durationMs : Infinity
  const rampMs = (shape.rampUpS ?? 0) * 1000
  let issued = 0
  let started = 0
  let steadyStart: number | undefined
  let steadyEnd: number | undefined
  const claim = (): number | undefined => {
    if (p.aborted !== undefined || (bounds.count !== undefined && issued >= bounds.count) || performance.now() >= deadline) return undefined
    return issued++
  }
  const stream = async (w: number): Promise<void> => {
    // ramp-up: stream w joins at an even share of the ramp, so load rises in c steps
    let due = p.t0 + (rampMs * w) / c
    await waitUntil(due, p.ac.signal)
    let first = true
    for (let i = claim(); i !== undefined; i = claim()) {
      if (first && ++started === c) p.steadyStart = steadyStart = performance.now()
      first = false
      await p.release(i, due, due)
      due = performance.now()
    }
    // the first stream to run out ends the window in which all c were busy
    steadyEnd ??= p.steadyEnd = performance.now()
  }
  await Promise.all(Array.from({ length: c }, (_, w) => stream(w)))
  return p.result(steadyStart !== undefined && steadyEnd !== undefined ? { start: steadyStart, end: steadyEnd } : null)
}

/** The arrival process's draws, or a trace's own times cut to the bounds. */
function dueOffsets(shape: Extract<LoadShape, { mode: 'open' }>, bounds: LoadBounds): readonly number[] {
  if (shape.offsetsMs !== undefined || shape.arrival === 'trace') {
    const all = shape.offsetsMs ?? []
    const n = Math.min(all.length, bounds.count ?? Infinity)
    const end = bounds.durationMs ?? Infinity
    const out: number[] = []
    for (let i = 0; i < n && all[i] <= end; i++) out.push(all[i])
    return out
  }
  return arrivalOffsets({ rate: shape.rate, process: shape.arrival, rampUpS: shape.rampUpS, seed: shape.seed }, bounds)
}

async function openLoop(
  shape: Extract<LoadShape, { mode: 'open' }>,
  bounds: LoadBounds,
  p: Phase,
  gaps: GapCollector,
  handoverMs: number,
): Promise<ScheduleResult> {
  const offsets = dueOffsets(shape, bounds)
  const cap = shape.maxConcurrency ?? Infinity
  // the arrival process runs at full rate from the end of the ramp (or the first arrival) to the last release
  const rampEnd = p.t0 + (shape.rampUpS ?? 0) * 1000
  const steadyFrom = offsets.length > 1 ? Math.max(rampEnd, p.t0 + offsets[0]) : undefined
  p.steadyStart = steadyFrom
  const pending = new Set<Promise<void>>()
  const slotFreed: Array<() => void> = []
  let lastRelease = p.t0
  for (let i = 0; i < offsets.length && p.aborted === undefined; i++) {
    const due = p.t0 + offsets[i]
    // handed over ahead of its due time: the client builds it meanwhile and writes it at `due` (transport.ts)
    await waitUntil(due - handoverMs, p.ac.signal)
    let handover = due - handoverMs
    let sendAt = due
    while (p.inFlight >= cap && p.aborted === undefined) {
      await new Promise<void>((r) => slotFreed.push(r))
      handover = sendAt = performance.now()
    }
    if (p.aborted !== undefined) break
    const run = p.release(i, due, handover, sendAt).finally(() => {
      pending.delete(run)
      slotFreed.shift()?.()
    })
    pending.add(run)
    lastRelease = Math.max(performance.now(), sendAt)
    // collect garbage now, while nothing is due, rather than let the young space fill up at a due time (gc-gaps.ts)
    if (i + 1 < offsets.length) await gaps.inGap(sendAt, p.t0 + offsets[i + 1] - handoverMs, p.ac.signal)
  }
  p.steadyEnd = lastRelease
  await Promise.all(pending)
  return p.result(steadyFrom !== undefined ? { start: steadyFrom, end: lastRelease } : null)
}

/**
 * Run one load phase; never throws for a failed request (records carry outcomes), only for a bad shape. `handoverMs`
 * (open loops): hand each slot over this long before its due time, to a sender that writes it at slot.sendAt.
 */
export async function runSchedule(
  shape: LoadShape,
  bounds: LoadBounds,
  send: Sender,
  check?: AbortCheck,
  observer?: ScheduleObserver,
  handoverMs = 0,
): Promise<ScheduleResult> {
  checkShape(shape, bounds)
  if (shape.mode === 'closed') return closedLoop(shape, bounds, new Phase(send, check, observer))
  // an open loop's requests are due at fixed times: start it with nothing left to collect, before its clock starts
  const gaps = new GapCollector()
  gaps.beforePhase()
  return openLoop(shape, bounds, new Phase(send, check, observer), gaps, handoverMs)
}
