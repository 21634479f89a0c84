// Self-calibration: is the client itself fast enough for the latencies it reports? A busy event loop
// delays every timestamp it takes, so when its delay is a sizeable fraction of what we measure, the
// numbers describe the client, not the server.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'

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
}

/** Absolute floor: below this a client is never called the bottleneck (timer and scheduler noise). */
export const CLIENT_BOUND_FLOOR_MS = 1
/** Fraction of a measured latency the client's own delay may reach. */
export const CLIENT_BOUND_FRACTION = 0.1

/**
 * Rule — the client's own delay may distort a reported figure by at most 10% (never judged below 1 ms):
 * - typical event-loop delay (p50) vs the finest typical latency (ITL p50, else TTFT p50): a median timestamp
 *   late by more than 10% of the median gap it measures corrupts ITL/TPOT;
 * - tail event-loop delay (p99) vs E2E p50: rare hiccups (GC, the OS running the server) must stay small next to
 *   the request-level latencies whose tails are reported;
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

export function clientBoundVerdict(x: ClientHealthInput): { clientBound: boolean; reason?: string } {
  const bound = (ms: number | null) => Math.max(CLIENT_BOUND_FLOOR_MS, ms !== null ? CLIENT_BOUND_FRACTION * ms : 0)
  const fine = x.itlP50Ms ?? x.ttftP50Ms
  const fineName = x.itlP50Ms !== null ? 'ITL' : 'TTFT'
  const reasons: string[] = []
  const p50 = x.loopDelayP50Ms ?? 0
  if (p50 > bound(fine)) reasons.push(`event-loop delay p50 ${p50.toFixed(2)} ms > ${bound(fine).toFixed(2)} ms (10% of ${fineName} p50)`)
  const tailScale = x.e2eP50Ms ?? x.ttftP50Ms
  const tailName = x.e2eP50Ms != null ? 'E2E' : 'TTFT'
  if (x.loopDelayP99Ms > bound(tailScale))
    reasons.push(`event-loop delay p99 ${x.loopDelayP99Ms.toFixed(2)} ms > ${bound(tailScale).toFixed(2)} ms (10% of ${tailName} p50)`)
  if (x.dispatchLagP99Ms > bound(tailScale))
    reasons.push(`dispatch lag p99 ${x.dispatchLagP99Ms.toFixed(2)} ms > ${bound(tailScale).toFixed(2)} ms (10% of ${tailName} p50)`)
  if (reasons.length === 0) return { clientBound: false }
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
