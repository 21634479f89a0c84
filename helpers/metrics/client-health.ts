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
  loopDelayP99Ms: number
  /** p99 of (actual send − scheduled send) for requests the scheduler released. */
  dispatchLagP99Ms: number
  ttftP50Ms: number | null
  itlP50Ms: number | null
}

/** Absolute floor: below this a client is never called the bottleneck (timer and scheduler noise). */
export const CLIENT_BOUND_FLOOR_MS = 1
/** Fraction of the smallest measured latency the client's own delay may reach. */
export const CLIENT_BOUND_FRACTION = 0.1

/**
 * Rule: the event loop's p99 delay must stay under max(1 ms, 10% of the ITL p50 — or TTFT p50 when there is
 * no ITL), and the dispatch lag p99 under max(1 ms, 10% of TTFT p50). Otherwise the run is client-bound.
 */
export function clientBoundVerdict(x: ClientHealthInput): { clientBound: boolean; reason?: string } {
  const fine = x.itlP50Ms ?? x.ttftP50Ms
  const loopBound = Math.max(CLIENT_BOUND_FLOOR_MS, fine !== null ? CLIENT_BOUND_FRACTION * fine : 0)
  const lagBound = Math.max(CLIENT_BOUND_FLOOR_MS, x.ttftP50Ms !== null ? CLIENT_BOUND_FRACTION * x.ttftP50Ms : 0)
  const reasons: string[] = []
  if (x.loopDelayP99Ms > loopBound)
    reasons.push(
      `event-loop delay p99 ${x.loopDelayP99Ms.toFixed(2)} ms > ${loopBound.toFixed(2)} ms (10% of ${x.itlP50Ms !== null ? 'ITL' : 'TTFT'} p50)`,
    )
  if (x.dispatchLagP99Ms > lagBound)
    reasons.push(`dispatch lag p99 ${x.dispatchLagP99Ms.toFixed(2)} ms > ${lagBound.toFixed(2)} ms (10% of TTFT p50)`)
  if (reasons.length === 0) return { clientBound: false }
  return {
    clientBound: true,
    reason: `client-bound: results not trustworthy — ${reasons.join('; ')}. Lower BENCH_CONCURRENCY, or run the client on a less loaded machine.`,
  }
}
