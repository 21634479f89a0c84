// Serving-view metrics of a load phase: throughput over the steady-state window, goodput against SLOs, and
// achieved vs scheduled vs target arrival rate. Records are measured-phase RequestRecords whose tStartMs is
// relative to the phase start.
import type { RequestRecord, SloSpec, WindowThroughput } from '../types.ts'

/** Tolerated deviation of the achieved arrival rate from the target before a case is flagged. */
export const RATE_MISS_LIMIT_PCT = 5

export function hasSlo(slo: SloSpec): boolean {
  return slo.ttftMs !== undefined || slo.tpotMs !== undefined || slo.e2eMs !== undefined
}

/**
 * A request is good when it finished ok and met every SLO that is set (a missing TPOT — one token — passes).
 * `fromArrival` (open loops): TTFT and E2E count from the request's scheduled arrival (ttftFromArrivalMs,
 * e2eFromArrivalMs), so time it waited behind a client-side cap counts against it, as its user saw it.
 */
export function meetsSlo(r: RequestRecord, slo: SloSpec, fromArrival = false): boolean {
  if (r.outcome !== 'ok') return false
  const wait = fromArrival ? r.queueMs : 0
  if (slo.ttftMs !== undefined && (r.ttftMs === null || r.ttftMs + wait > slo.ttftMs)) return false
  if (slo.tpotMs !== undefined && r.tpotMs !== null && r.tpotMs > slo.tpotMs) return false
  if (slo.e2eMs !== undefined && (r.e2eMs === null || r.e2eMs + wait > slo.e2eMs)) return false
  return true
}

/** Share of [a, b] that lies inside [s, e]. */
function overlapShare(a: number, b: number, s: number, e: number): number {
  if (b <= a) return a >= s && a <= e ? 1 : 0
  return Math.max(0, Math.min(b, e) - Math.max(a, s)) / (b - a)
}

/** Arrival times (ms from phase start) of each output token of an ok request: first token at TTFT, then per-token ITL. */
export function tokenTimes(r: RequestRecord): number[] {
  if (r.outcome !== 'ok' || r.ttftMs === null) return []
  const out = [r.tStartMs + r.ttftMs]
  let t = out[0]
  for (const gap of r.itlMs) out.push((t += gap))
  // a server count above what the stream showed (no per-token gaps): the rest arrive with the last chunk
  while (out.length < r.outputTokens) out.push(t)
  return out.slice(0, Math.max(1, r.outputTokens))
}

/**
 * Throughput inside a window, folded one request at a time (bounded memory). A request counts by the share of its
 * send→end lifetime that falls inside the window, so a window cut through the middle of requests neither gains nor
 * loses whole requests (in a steady state this equals the completion rate). Only ok requests count; `good` narrows
 * it further for goodput. The window's end may still be unknown when a request is added (endMs = Infinity): that
 * is exact as long as the request ended before the window did, which the schedulers guarantee (scheduler.ts).
 */
export class WindowAcc {
  requests = 0
  private share = 0
  private outTokens = 0
  private inTokens = 0

  add(r: RequestRecord, startMs: number, endMs: number, promptTokens: number, good = true): void {
    const a = r.tStartMs
    const b = r.tStartMs + (r.e2eMs ?? 0)
    if (b >= startMs && a <= endMs) this.requests++
    if (r.outcome !== 'ok' || !good) return
    this.share += overlapShare(a, b, startMs, endMs)
    if (r.ttftMs === null) return
    // token arrival times as tokenTimes() gives them, counted without building the array
    const n = Math.max(1, r.outputTokens)
    let t = r.tStartMs + r.ttftMs
    // token times only grow: with the window still open (its end unknown) every token from the first on is inside
    if (endMs === Infinity && t >= startMs) {
      this.outTokens += n
      this.inTokens += promptTokens
      return
    }
    const inside = (x: number) => x >= startMs && x <= endMs
    if (inside(t)) {
      this.outTokens++
      this.inTokens += promptTokens
    }
    let k = 1
    for (let i = 0; i < r.itlMs.length && k < n; i++, k++) if (inside((t += r.itlMs[i]))) this.outTokens++
    if (k < n && inside(t)) this.outTokens += n - k
  }

  result(startMs: number, endMs: number): WindowThroughput {
    const durationMs = Math.max(0, endMs - startMs)
    const perS = (n: number) => (durationMs > 0 ? (n * 1000) / durationMs : 0)
    return {
      startMs,
      endMs,
      durationMs,
      requests: this.requests,
      requestThroughput: perS(this.share),
      outputTokenThroughput: perS(this.outTokens),
      totalTokenThroughput: perS(this.outTokens + this.inTokens),
    }
  }
}

/** Throughput inside [startMs, endMs] over records (WindowAcc over an array). */
export function windowThroughput(
  records: readonly RequestRecord[],
  startMs: number,
  endMs: number,
  promptTokens: (r: RequestRecord) => number,
  good: (r: RequestRecord) => boolean = () => true,
): WindowThroughput {
  const w = new WindowAcc()
  for (const r of records) w.add(r, startMs, endMs, promptTokens(r), good(r))
  return w.result(startMs, endMs)
}

/** Pool several trials' windows: totals over total time (each trial's window weighted by its length). */
export function poolWindows(ws: readonly WindowThroughput[]): WindowThroughput | null {
  if (ws.length === 0) return null
  const dur = ws.reduce((a, w) => a + w.durationMs, 0)
  const sum = (pick: (w: WindowThroughput) => number) => ws.reduce((a, w) => a + pick(w) * w.durationMs, 0)
  return {
    startMs: ws[0].startMs,
    endMs: ws[ws.length - 1].endMs,
    durationMs: dur,
    requests: ws.reduce((a, w) => a + w.requests, 0),
    requestThroughput: dur > 0 ? sum((w) => w.requestThroughput) / dur : 0,
    outputTokenThroughput: dur > 0 ? sum((w) => w.outputTokenThroughput) / dur : 0,
    totalTokenThroughput: dur > 0 ? sum((w) => w.totalTokenThroughput) / dur : 0,
  }
}

export interface RateCheck {
  achievedRate: number
  scheduledRate: number
  rateMissPct: number
  rateMissed: boolean
  /** A sentence for the summary's warnings when the rate was missed. */
  warning?: string
}

/**
 * Least-squares slope of event time over event number, folded one event at a time (centred co-moments, the
 * streaming form of simple-statistics' linearRegression). Its rate is 1 / slope, so one late release at either end
 * of the run does not swing the figure the way (n − 1) / span would.
 */
export class RateFit {
  n = 0
  private mx = 0
  private my = 0
  private cxy = 0
  private cxx = 0

  add(tMs: number): void {
    const x = this.n++
    const dx = x - this.mx
    this.mx += dx / this.n
    this.my += (tMs - this.my) / this.n
    this.cxy += dx * (tMs - this.my)
    this.cxx += dx * (x - this.mx)
  }

  /** Events per second (0 with fewer than two events). */
  rate(): number {
    if (this.n < 2 || this.cxx <= 0) return 0
    const m = this.cxy / this.cxx
    return m > 0 ? 1000 / m : 0
  }
}

/**
 * Achieved vs scheduled vs target rate from the fits of releases and due times after the ramp. A Poisson schedule
 * of n arrivals deviates from its rate by about 1/√n by design: that is recorded (rateMissed, scheduledRate) but
 * warns only when the client fell off its own schedule or the draws went beyond 3/√n.
 */
export function rateVerdict(target: number, release: RateFit, due: RateFit): RateCheck | null {
  if (release.n < 2) return null
  const achievedRate = release.rate()
  const scheduledRate = due.rate()
  const rateMissPct = (achievedRate / target - 1) * 100
  const rateMissed = Math.abs(rateMissPct) > RATE_MISS_LIMIT_PCT
  const out: RateCheck = { achievedRate, scheduledRate, rateMissPct, rateMissed }
  if (!rateMissed) return out
  const clientPct = scheduledRate > 0 ? (achievedRate / scheduledRate - 1) * 100 : 0
  const drawsPct = (scheduledRate / target - 1) * 100
  // n random arrivals' mean gap varies by about 1/√n by design (8 Poisson draws: ±35%): a miss the draws explain is
  // what was asked for, and scheduledRate / rateMissPct say it; only a client off its own schedule, or draws whose
  // mean gap is beyond 3σ, warn (judged on the gap: a rate, its inverse, is lopsided for few draws)
  const sampling = 100 / Math.sqrt(release.n)
  const gapPct = scheduledRate > 0 ? (target / scheduledRate - 1) * 100 : Infinity
  const cause =
    Math.abs(clientPct) > RATE_MISS_LIMIT_PCT
      ? `the client released requests ${clientPct.toFixed(1)}% off its own schedule (it could not keep up: lower the rate or free the CPU)`
      : Math.abs(gapPct) > 3 * sampling
        ? `the arrival draws themselves ran at ${scheduledRate.toFixed(3)}/s (${drawsPct.toFixed(1)}%): their mean gap is ${gapPct.toFixed(0)}% off, beyond the ±${(3 * sampling).toFixed(0)}% that ${release.n} random arrivals vary by`
        : undefined
  if (cause !== undefined)
    out.warning = `achieved request rate ${achievedRate.toFixed(3)}/s missed the target ${target}/s by ${rateMissPct.toFixed(1)}% (limit ±${RATE_MISS_LIMIT_PCT}%): ${cause}`
  return out
}

/**
 * Achieved (actual releases) vs scheduled (the arrival process's own draws) vs target rate, over the releases
 * due after the ramp. A Poisson schedule of n arrivals deviates from its rate by about 1/√n by design, so the
 * warning says whether the client or the sample size is to blame.
 */
export function rateCheck(target: number, dueOffsetsMs: readonly number[], releaseOffsetsMs: readonly number[], rampEndMs = 0): RateCheck | null {
  const release = new RateFit()
  const due = new RateFit()
  for (let i = 0; i < dueOffsetsMs.length; i++) {
    if (dueOffsetsMs[i] < rampEndMs) continue
    release.add(releaseOffsetsMs[i])
    due.add(dueOffsetsMs[i])
  }
  return rateVerdict(target, release, due)
}
