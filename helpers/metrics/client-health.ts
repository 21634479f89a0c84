// Self-calibration: is the client itself fast enough for the latencies it reports? A busy event loop
// delays every timestamp it takes, so when its delay is a sizeable fraction of what we measure, the
// numbers describe the client, not the server.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import type { Dist } from '../record-types.ts'
import { QuantileAcc } from './sketch.ts'

export class EventLoopMonitor {
  private h: IntervalHistogram | null = null

  /** resolutionMs: period of the sampling timer; 1 ms (the minimum) resolves the delays that matter for ITL. */
  constructor(private readonly resolutionMs = 1) {}

  start(): void {
    this.h?.disable()
    this.h = monitorEventLoopDelay({ resolution: this.resolutionMs })
    this.h.enable()
  }

  /** Stops sampling and returns the delay percentiles in ms (beyond the timer's own resolution). */
  stop(): { p50Ms: number; p99Ms: number; maxMs: number; samples: number } {
    const h = this.h
    this.h = null
    if (h === null) return { p50Ms: 0, p99Ms: 0, maxMs: 0, samples: 0 }
    h.disable()
    // The histogram records the full timer period; the excess over the resolution is the delay.
    const excess = (ns: number) => Math.max(0, ns / 1e6 - this.resolutionMs)
    const samples = h.count
    if (samples === 0) return { p50Ms: 0, p99Ms: 0, maxMs: 0, samples: 0 }
    return { p50Ms: excess(h.percentile(50)), p99Ms: excess(h.percentile(99)), maxMs: excess(h.max), samples }
  }
}

/** Stalls shorter than this are timer jitter, not kept (the verdict never judges below CLIENT_BOUND_FLOOR_MS either). */
const STALL_MIN_MS = 1

/** A timestamp taken up to this long after a stall ended may still carry it (the I/O that waited is handled then). */
const STALL_REACH_MS = 5

/**
 * How late each measured request's timestamps (send, first token, end) could have been taken because of an
 * event-loop stall. A 1 ms timer notes every tick that came late (a stall: the loop ran something else, a GC, the
 * OS ran the server instead) with when it began and ended. A timestamp taken inside a stall or shortly after it
 * (the chunk that arrived meanwhile is handled when the loop gets back) may be late by up to the time since the
 * stall began; one taken before a stall, or long after, is not moved by it. Each request's worst such delay goes
 * into `perRequest` once the timer has ticked past its last timestamp (so a stall that delayed it is noted first).
 * A stall the request merely lived through, between its timestamps, moves none of them. Bounded: stalls before
 * every request still in flight or pending are dropped; per-request values go into a QuantileAcc.
 */
export class StallWatch {
  readonly perRequest = new QuantileAcc()
  private timer: ReturnType<typeof setInterval> | undefined
  private last = 0
  /** Stalls in the order they ended: end time and length (ms, performance.now()). */
  private ends: number[] = []
  private lens: number[] = []
  private longest = 0
  /** Requests that ended, awaiting the tick after their last timestamp: send time and timestamps. */
  private pending: Array<{ a: number; stamps: number[] }> = []
  /** Send times of the requests in flight, in the order they began (so the first is the oldest). */
  private readonly inFlight: number[] = []

  /** `now`: the clock (tests drive a fake one through tick()). */
  constructor(
    private readonly periodMs = 1,
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(): void {
    this.stop()
    this.last = this.now()
    this.timer = setInterval(() => this.tick(), this.periodMs)
    // never what keeps a process alive
    this.timer.unref()
  }

  /** One timer tick (the timer calls it every periodMs; a late one is a stall). */
  tick(): void {
    const now = this.now()
    const late = now - this.last - this.periodMs
    this.last = now
    if (late >= STALL_MIN_MS) {
      this.ends.push(now)
      this.lens.push(late)
      if (late > this.longest) this.longest = late
    }
    if (this.pending.length > 0) this.settle(now)
  }

  /** Judge the requests whose last timestamp is far enough behind `upTo`, then forget stalls none can reach. */
  private settle(upTo: number): void {
    const keep: Array<{ a: number; stamps: number[] }> = []
    for (const p of this.pending) {
      if (Math.max(...p.stamps) + STALL_REACH_MS > upTo) {
        keep.push(p)
        continue
      }
      let worst = 0
      for (const ts of p.stamps) worst = Math.max(worst, this.delayAt(ts))
      this.perRequest.add(worst)
    }
    this.pending = keep
    let oldest = this.inFlight.length > 0 ? this.inFlight[0] : upTo
    for (const p of keep) if (p.a < oldest) oldest = p.a
    let drop = 0
    while (drop < this.ends.length && this.ends[drop] < oldest - STALL_REACH_MS) drop++
    if (drop > 1024 || (drop > 0 && drop === this.ends.length)) {
      this.ends = this.ends.slice(drop)
      this.lens = this.lens.slice(drop)
    }
  }

  /** How late a timestamp taken at `ts` could be: the time since the stall it was taken in (or just after) began. */
  delayAt(ts: number): number {
    // stalls end in order: from the first that ended at most STALL_REACH_MS before ts, to the last that can have begun by ts
    let lo = 0
    let hi = this.ends.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.ends[mid] < ts - STALL_REACH_MS) lo = mid + 1
      else hi = mid
    }
    let most = 0
    for (let i = lo; i < this.ends.length && this.ends[i] - this.longest <= ts; i++) {
      const began = this.ends[i] - this.lens[i]
      if (began <= ts) most = Math.max(most, Math.min(this.lens[i], ts - began))
    }
    return most
  }

  /** A measured request begins now: returns its send time, to hand to `end`. */
  begin(): number {
    const a = this.now()
    this.inFlight.push(a)
    return a
  }

  /** The measured request that began at `a` (begin) ended; `stamps`: its timestamps (performance.now()). */
  end(a: number, stamps: number[]): void {
    const i = this.inFlight.indexOf(a)
    if (i >= 0) this.inFlight.splice(i, 1)
    this.pending.push({ a, stamps: stamps.length > 0 ? stamps : [a] })
  }

  /** Stops the timer (noting a stall still under way: the one that delayed the last request) and settles every pending request. */
  stop(): void {
    if (this.timer !== undefined) {
      this.tick()
      clearInterval(this.timer)
    }
    this.timer = undefined
    if (this.pending.length > 0) this.settle(Infinity)
  }
}

export interface ClientHealthInput {
  /** Typical (p50) event-loop delay: how late an ordinary timestamp is taken. */
  loopDelayP50Ms?: number
  loopDelayP99Ms: number
  /** p99 of (actual send − scheduled send) for requests the scheduler released. */
  dispatchLagP99Ms: number
  ttftP50Ms: number | null
  itlP50Ms: number | null
  /** End-to-end latency p50: the scale the tail of the client's lateness is judged against (default TTFT p50). */
  e2eP50Ms?: number | null
  /** Client processes this case ran in (BENCH_CLIENT_PROCS) and the cores of this host: the advice names the next step. */
  procs?: number
  cores?: number
  /**
   * How late a stall could have made each measured request's timestamps (StallWatch), where this process measured
   * them: the tail rule then judges each percentile by the requests a stall could have moved instead of the loop's p99.
   */
  stalls?: Dist
}

/** Percentiles of the request-level figures (TTFT, E2E, TPOT…) a stall could move, in the order reported. */
export const STALL_STATS = ['p50', 'p90', 'p95', 'p99'] as const
export type StallStat = (typeof STALL_STATS)[number]

export interface ClientVerdict {
  clientBound: boolean
  reason?: string
  /**
   * Percentiles stalls could have moved without the case being client-bound (p90/p95/p99 when fewer than half the
   * requests lived through a stall above the bound, and more than that percentile's tail did).
   */
  moved?: StallStat[]
  /** How the moved percentiles were judged: requests over the bound, the bound, the longest stall. */
  stallNote?: string
}

/** Absolute floor: below this a client is never called the bottleneck (timer and scheduler noise). */
export const CLIENT_BOUND_FLOOR_MS = 1
/** Fraction of a measured latency the client's own delay may reach. */
export const CLIENT_BOUND_FRACTION = 0.1

/**
 * Rule — the client's own delay may distort a reported figure by at most 10% (never judged below 1 ms):
 * - typical event-loop delay (p50) vs the finest typical latency (ITL p50, else TTFT p50): a median timestamp
 *   late by more than 10% of the median gap it measures corrupts ITL/TPOT;
 * - tail event-loop delay vs E2E p50: rare hiccups (GC, the OS running the server) must stay small next to the
 *   request-level latencies. Where each request's stall delay is known (StallWatch: how late a stall could have
 *   made its timestamps), a loop p99 over the bound fails the case only when delays above the bound hit at least
 *   half the requests (they could move a p50: the CSV's and the gate's medians); fewer can move a p99 only, which
 *   is flagged (`moved`) and not failed; without per-request delays, the loop's p99 alone;
 * - dispatch lag p99 vs E2E p50 (else TTFT p50): requests released late shift the load the server saw; a lag that is
 *   small next to a request's lifetime does not change what the server was asked to do (queue time is reported apart).
 * Otherwise the run is client-bound.
 */
/** What to do about a client-bound case: more client processes while this host has idle cores, else less load or more hosts. */
function moreClients(procs: number, cores: number | undefined): string {
  // one core stays with the server (or the OS) when it runs here too
  if (cores !== undefined && procs + 1 < cores)
    return `Spread the load over more client processes (BENCH_CLIENT_PROCS=${procs + 1}; this host has ${cores} cores), lower BENCH_CONCURRENCY, or run the client on a less loaded machine`
  return 'Lower BENCH_CONCURRENCY, split the client over hosts (BENCH_SHARD), or run it on a less loaded machine'
}

export function clientBoundVerdict(x: ClientHealthInput): ClientVerdict {
  const bound = (ms: number | null) => Math.max(CLIENT_BOUND_FLOOR_MS, ms !== null ? CLIENT_BOUND_FRACTION * ms : 0)
  const fine = x.itlP50Ms ?? x.ttftP50Ms
  const fineName = x.itlP50Ms !== null ? 'ITL' : 'TTFT'
  const reasons: string[] = []
  const p50 = x.loopDelayP50Ms ?? 0
  if (p50 > bound(fine)) reasons.push(`event-loop delay p50 ${p50.toFixed(2)} ms > ${bound(fine).toFixed(2)} ms (10% of ${fineName} p50)`)
  const tailScale = x.e2eP50Ms ?? x.ttftP50Ms
  const tailName = x.e2eP50Ms != null ? 'E2E' : 'TTFT'
  const tail = bound(tailScale)
  let moved: StallStat[] | undefined
  let stallNote: string | undefined
  const loopTail = x.loopDelayP99Ms > tail
  const loopReason = `event-loop delay p99 ${x.loopDelayP99Ms.toFixed(2)} ms > ${tail.toFixed(2)} ms (10% of ${tailName} p50)`
  if (x.stalls !== undefined && x.stalls.n > 0) {
    // per figure: a percentile q of n requests can be moved by delays above the bound only when more than n·(1 − q)
    // requests had one, i.e. when the q-quantile of the requests' delays is above it. The per-request view only
    // narrows the loop's verdict: a tail that fails it fails the case when the medians could move, and is flagged
    // on the percentiles it could move otherwise; a loop within the bound is not failed on it
    const over = STALL_STATS.filter((st) => (x.stalls![st] ?? 0) > tail)
    if (over.length > 0)
      stallNote = `an event-loop stall could have delayed a request's timestamps by > ${tail.toFixed(2)} ms (10% of ${tailName} p50) from its ${over[0]} on (max ${(x.stalls.max ?? 0).toFixed(2)} ms over ${x.stalls.n} requests)`
    if (loopTail && over.includes('p50')) reasons.push(`${loopReason}, and ${stallNote}: it could have moved the p50 figures`)
    else if (over.length > 0) moved = over
  } else if (loopTail) reasons.push(loopReason)
  if (x.dispatchLagP99Ms > bound(tailScale))
    reasons.push(`dispatch lag p99 ${x.dispatchLagP99Ms.toFixed(2)} ms > ${bound(tailScale).toFixed(2)} ms (10% of ${tailName} p50)`)
  if (reasons.length === 0) return { clientBound: false, ...(moved ? { moved, stallNote } : {}) }
  return {
    clientBound: true,
    reason: `client-bound: results not trustworthy — ${reasons.join('; ')}. ${moreClients(x.procs ?? 1, x.cores)} (BENCH_ALLOW_CLIENT_BOUND=1 accepts it).`,
  }
}

/** `summary.sections.client`: the client's CPU over the measured phase, per output token (every load case has it). */
export function clientSection(cpuUs: number, outputTokens: number, processes?: unknown[]) {
  return {
    procs: processes?.length ?? 1,
    cpuS: cpuUs / 1e6,
    outputTokens,
    cpuUsPerToken: outputTokens > 0 ? cpuUs / outputTokens : null,
    ...(processes ? { processes } : {}),
  }
}
