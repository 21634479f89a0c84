// Over-saturation of an open loop: requests arrive faster than the server finishes them, so its queue — the
// requests in flight — and with it every request's latency grow for as long as the level runs. Nothing measured
// there is a steady state (a longer level only reads worse), so the level is stopped once that is clear and said
// to be past saturation, in the summary (load.saturation), its progress line, the table and the report.
//
// Clear means all three, judged as each request finishes, with O(1) work per request (running sums):
//   1. latency from arrival rises with the arrival time: the least-squares slope of (due time → latency) is at
//      least MIN_SLOPE (a server that takes 90 % of what arrives has slope 0.1) and its t statistic at least MIN_T;
//   2. the rise over the arrivals seen so far (slope × their span) exceeds the mean latency of the first requests;
//   3. the requests in flight have at least doubled since then (and are at least MIN_IN_FLIGHT).
// A closed loop cannot saturate this way (its concurrency bounds the queue), nor a capped rate, whose backlog
// waits in the client with the in-flight count fixed; trace replays are left alone (their bursts rise and fall).
import type { RequestRecord } from '../types.ts'

export const SATURATION = { minRequests: 20, minSlope: 0.1, minT: 4, minInFlight: 4 } as const

export class SaturationWatch {
  private released = 0
  private finished = 0
  private n = 0
  private sx = 0
  private sy = 0
  private sxx = 0
  private sxy = 0
  private syy = 0
  private minX = Infinity
  private maxX = -Infinity
  /** Mean latency and in-flight count once the first minRequests finished. */
  private base: { latencyMs: number; inFlight: number } | undefined
  private inFlightSum = 0
  /** Why the level was stopped, once it was. */
  verdict: SaturationVerdict | undefined

  constructor(private readonly opts: typeof SATURATION = SATURATION) {}

  release(): void {
    this.released++
  }

  /** Feed a finished request of the measured phase (tStartMs − queueMs is its due time); returns the stop reason. */
  check = (r: RequestRecord): string | undefined => {
    this.finished++
    const inFlight = this.released - this.finished
    if (r.outcome !== 'ok' || r.e2eMs === null) return undefined
    const x = r.tStartMs - r.queueMs
    const y = r.e2eMs + r.queueMs
    this.n++
    this.sx += x
    this.sy += y
    this.sxx += x * x
    this.sxy += x * y
    this.syy += y * y
    this.minX = Math.min(this.minX, x)
    this.maxX = Math.max(this.maxX, x)
    if (this.base === undefined) {
      this.inFlightSum += inFlight
      if (this.n >= this.opts.minRequests) this.base = { latencyMs: this.sy / this.n, inFlight: this.inFlightSum / this.n }
      return undefined
    }
    if (this.verdict !== undefined) return this.verdict.reason
    const fit = this.fit()
    if (fit === undefined || fit.slope < this.opts.minSlope || fit.t < this.opts.minT) return undefined
    const riseMs = fit.slope * (this.maxX - this.minX)
    if (riseMs <= this.base.latencyMs) return undefined
    if (inFlight < Math.max(this.opts.minInFlight, 2 * this.base.inFlight)) return undefined
    const afterS = this.maxX / 1000
    this.verdict = {
      afterS,
      slope: fit.slope,
      riseMs,
      inFlight,
      baseInFlight: this.base.inFlight,
      reason:
        `past saturation: latency from arrival rose ${riseMs.toFixed(0)} ms over ${((this.maxX - this.minX) / 1000).toFixed(1)} s of arrivals ` +
        `(+${(fit.slope * 1000).toFixed(0)} ms per second; ${this.base.latencyMs.toFixed(0)} ms at the start) and requests in flight grew ` +
        `from ${this.base.inFlight.toFixed(1)} to ${inFlight}: the server finishes fewer requests than arrive, so its queue grows for as long ` +
        'as the level runs. Stopped early; its figures are no steady state (a lower rate, or a capacity search, finds what it sustains).',
    }
    return this.verdict.reason
  }

  /** Least-squares slope of latency on due time, and its t statistic (undefined while the points are degenerate). */
  private fit(): { slope: number; t: number } | undefined {
    const n = this.n
    const vx = this.sxx - (this.sx * this.sx) / n
    if (n < 3 || vx <= 0) return undefined
    const cxy = this.sxy - (this.sx * this.sy) / n
    const slope = cxy / vx
    const rss = Math.max(0, this.syy - (this.sy * this.sy) / n - slope * cxy)
    const se = Math.sqrt(rss / (n - 2) / vx)
    return { slope, t: se > 0 ? slope / se : Number.POSITIVE_INFINITY }
  }
}

export interface SaturationVerdict {
  /** Due time (s from the measured phase's start) of the latest arrival when the level was stopped. */
  afterS: number
  /** Latency from arrival gained per ms of arrival time. */
  slope: number
  riseMs: number
  inFlight: number
  baseInFlight: number
  reason: string
}
