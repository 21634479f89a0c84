// Capacity search, the pure part: what the highest request rate is that a server sustains inside its SLO.
// Open-loop Poisson probes at one rate each; the search doubles (or halves) the rate until it has a passing and
// a failing rate, then bisects (geometric midpoints) until the two are within the resolution, or the time
// budget is spent. A probe passes when
//   1. the client offered what was asked: achieved release rate within ±5% of the target;
//   2. goodput meets the SLO: at least minGoodFraction (0.95, the p95 the BENCH_SLO_* gates use) of the
//      probe's requests finished ok and inside every objective set;
//   3. the queue is stable: E2E latency is not still climbing through the probe (median of the last third of
//      releases within 1.5× of the first third's), and Little's law holds — the mean number in flight over the
//      arrival window is rate × mean E2E, short only by the requests still running when the window closes.
// A rate that passes only because the probe ended before its queue filled up fails test 3.
import { linearRegression } from 'simple-statistics'
import type { CapacityProbe, RequestRecord, SloSpec } from '../types.ts'
import { dist, median } from '../metrics/dist.ts'
import { hasSlo, meetsSlo, RATE_MISS_LIMIT_PCT, rateCheck, windowThroughput } from '../metrics/load.ts'
import { seededRng } from './rng.ts'

export interface CapacityOptions {
  /** First probe rate in requests/s (default: one sequence's worth, 1 / the idle E2E seen in warmup). */
  startRate?: number
  /** Stop when the passing and the failing rate are this close, in % of the passing one (default 5). */
  resolutionPct?: number
  /** Seconds of arrivals per probe (default BENCH_CAPACITY_PROBE_S). */
  probeS?: number
  /** Seconds the whole search may take (default BENCH_CAPACITY_BUDGET_S). */
  budgetS?: number
  /** Share of a probe's requests that must meet the SLO (default 0.95). */
  minGoodFraction?: number
  /** Latency may rise by this factor from the first to the last third of a probe (default 1.5). */
  maxClimb?: number
  /** Bounds of the search, requests/s (default 0.01 … 10000). */
  minRate?: number
  maxRate?: number
}

export const CAPACITY_DEFAULTS = { resolutionPct: 5, minGoodFraction: 0.95, maxClimb: 1.5, minRate: 0.01, maxRate: 10_000 } as const

/**
 * Poisson arrivals at exactly `rate` over about `durationMs`: n = round(rate × T) times drawn uniformly and sorted
 * (a Poisson process conditioned on its count), then stretched so that their least-squares rate — the one
 * rateCheck measures — is the target. The gaps keep their exponential spread, but a 10 s probe no longer offers
 * ±1/√n more or less than the rate it stands for, so an achieved rate off the target means the client lagged.
 */
export function probeOffsets(rate: number, durationMs: number, seed: number): number[] {
  const n = Math.max(3, Math.round((rate * durationMs) / 1000))
  const rng = seededRng(seed)
  const xs = Array.from({ length: n }, () => rng() * durationMs).sort((a, b) => a - b)
  const { m } = linearRegression(xs.map((t, i) => [i, t]))
  const scale = m > 0 ? 1000 / m / rate : 1
  const t0 = xs[0]
  return xs.map((t) => (t - t0) * scale)
}

export interface ProbeInput {
  rate: number
  /** Measured records of this probe, tStartMs relative to the probe's start. */
  records: readonly RequestRecord[]
  dueOffsetsMs: readonly number[]
  releaseOffsetsMs: readonly number[]
  slo: SloSpec
  minGoodFraction: number
  maxClimb: number
  /** Why the probe was cut short (it then fails), if it was. */
  aborted?: string
  promptTokens: (r: RequestRecord) => number
}

/** Time-average of requests in flight over [s, e] (ms), from each record's send → end interval. */
function inFlightOver(records: readonly RequestRecord[], s: number, e: number): number {
  if (e <= s) return 0
  let area = 0
  for (const r of records) {
    const a = r.tStartMs
    const b = r.tStartMs + (r.e2eMs ?? 0)
    area += Math.max(0, Math.min(b, e) - Math.max(a, s))
  }
  return area / (e - s)
}

export function judgeProbe(index: number, p: ProbeInput, durationS: number): CapacityProbe {
  const reasons: string[] = []
  const recs = [...p.records].sort((a, b) => a.tStartMs - b.tStartMs)
  const ok = recs.filter((r) => r.outcome === 'ok')
  const judged = hasSlo(p.slo)
  const good = recs.filter((r) => (judged ? meetsSlo(r, p.slo, true) : r.outcome === 'ok')).length
  const goodFraction = recs.length > 0 ? good / recs.length : 0
  const rc = rateCheck(p.rate, p.dueOffsetsMs, p.releaseOffsetsMs)
  const start = p.releaseOffsetsMs.length > 0 ? Math.min(...p.releaseOffsetsMs) : 0
  const end = p.releaseOffsetsMs.length > 0 ? Math.max(...p.releaseOffsetsMs) : 0
  const w = windowThroughput(recs, start, end, p.promptTokens)
  const e2e = ok.map((r) => r.e2eMs ?? NaN)
  const third = Math.floor(recs.length / 3)
  const e2eOf = (rs: RequestRecord[]) => median(rs.filter((r) => r.outcome === 'ok').map((r) => r.e2eMs ?? NaN))
  const first = third > 0 ? e2eOf(recs.slice(0, third)) : null
  const last = third > 0 ? e2eOf(recs.slice(recs.length - third)) : null
  const inFlightMean = inFlightOver(recs, start, end)
  const meanE2e = dist(recs.map((r) => r.e2eMs ?? NaN)).mean
  const achieved = rc?.achievedRate ?? null
  const expected = achieved !== null && meanE2e !== null ? (achieved * meanE2e) / 1000 : null
  const littleRatio = expected !== null && expected > 0 ? inFlightMean / expected : null

  if (p.aborted !== undefined) reasons.push(p.aborted)
  if (rc === null) reasons.push('too few requests to measure the achieved rate')
  else if (Math.abs(rc.rateMissPct) > RATE_MISS_LIMIT_PCT)
    reasons.push(`achieved rate ${rc.achievedRate.toFixed(2)}/s is ${rc.rateMissPct.toFixed(1)}% off the target (limit ±${RATE_MISS_LIMIT_PCT}%)`)
  if (goodFraction < p.minGoodFraction)
    reasons.push(
      judged
        ? `goodput ${(goodFraction * 100).toFixed(1)}% of requests met the SLO (need ${(p.minGoodFraction * 100).toFixed(0)}%)`
        : `${(goodFraction * 100).toFixed(1)}% of requests finished ok (need ${(p.minGoodFraction * 100).toFixed(0)}%)`,
    )
  if (first !== null && last !== null && last > p.maxClimb * first)
    reasons.push(
      `latency still climbing: E2E p50 went from ${first.toFixed(0)} ms (first third) to ${last.toFixed(0)} ms (last third), more than ×${p.maxClimb}`,
    )
  // the window misses the part of the last requests that runs after it closes: at most mean E2E / window
  const spanMs = end - start
  const allowance = 0.15 + (meanE2e !== null && spanMs > 0 ? Math.min(0.5, meanE2e / spanMs) : 0)
  if (littleRatio !== null && Math.abs(1 - littleRatio) > allowance)
    reasons.push(
      `queue not stable: ${inFlightMean.toFixed(1)} requests in flight on average, but rate × E2E = ${expected!.toFixed(1)} (Little's law; off by more than ${(allowance * 100).toFixed(0)}%)`,
    )
  return {
    index,
    rate: p.rate,
    achievedRate: achieved,
    requests: recs.length,
    ok: ok.length,
    goodFraction,
    requestThroughput: w.requestThroughput,
    outputTokPerSec: w.outputTokenThroughput,
    ttftP50Ms: median(ok.map((r) => r.ttftMs ?? NaN)),
    e2eP50Ms: median(e2e),
    e2eP95Ms: dist(e2e).p95,
    e2eFirstThirdP50Ms: first,
    e2eLastThirdP50Ms: last,
    inFlightMean,
    littleRatio,
    pass: reasons.length === 0,
    reasons,
    durationS,
  }
}

/**
 * Abort check for a probe: once more requests missed the SLO (or failed) than the probe may lose, it cannot pass,
 * and running it to the end would only fill the server's queue for the next probe.
 */
export function probeCannotPass(expected: number, minGoodFraction: number, slo: SloSpec): (finished: RequestRecord) => string | undefined {
  const allowed = Math.floor(expected * (1 - minGoodFraction))
  const judged = hasSlo(slo)
  let bad = 0
  return (r) => {
    if (judged ? !meetsSlo(r, slo, true) : r.outcome !== 'ok' && r.outcome !== 'aborted') bad++
    return bad > allowed ? `stopped early: ${bad} of ${expected} requests already missed the SLO or failed (at most ${allowed} may)` : undefined
  }
}

export type StopReason = 'resolution' | 'budget' | 'max-rate' | 'min-rate'

export interface SearchResult {
  /** Highest passing rate (null: even the lowest rate tried failed). */
  maxRequestRate: number | null
  /** Lowest failing rate above it (null: never failed up to maxRate). */
  failedAt: number | null
  probes: CapacityProbe[]
  stoppedBy: StopReason
}

export interface SearchConfig {
  startRate: number
  resolutionPct: number
  minRate: number
  maxRate: number
  /** Whether another probe fits in the time left. */
  timeLeft: () => boolean
}

/** Bracket (×2 / ÷2 from the start rate), then bisect at geometric midpoints to the resolution. */
export async function searchCapacity(probe: (rate: number, index: number) => Promise<CapacityProbe>, cfg: SearchConfig): Promise<SearchResult> {
  if (!(cfg.startRate > 0) || !Number.isFinite(cfg.startRate))
    throw new Error(`capacity search needs a start rate > 0 requests/s, got ${cfg.startRate}: fix the case's capacity.startRate option.`)
  if (!(cfg.resolutionPct > 0)) throw new Error(`capacity resolution must be > 0 %, got ${cfg.resolutionPct}: fix the case's capacity.resolutionPct option.`)
  const probes: CapacityProbe[] = []
  let lo: number | null = null
  let hi: number | null = null
  let rate = Math.min(cfg.maxRate, Math.max(cfg.minRate, cfg.startRate))
  const run = async (r: number) => {
    const res = await probe(r, probes.length)
    probes.push(res)
    if (res.pass) lo = lo === null ? r : Math.max(lo, r)
    else hi = hi === null ? r : Math.min(hi, r)
    return res.pass
  }
  const done = (stoppedBy: StopReason): SearchResult => ({ maxRequestRate: lo, failedAt: hi, probes, stoppedBy })
  // bracket
  for (;;) {
    if (!cfg.timeLeft()) return done('budget')
    const pass = await run(rate)
    if (lo !== null && hi !== null) break
    if (pass) {
      if (rate >= cfg.maxRate) return done('max-rate')
      rate = Math.min(cfg.maxRate, rate * 2)
    } else {
      if (rate <= cfg.minRate) return done('min-rate')
      rate = Math.max(cfg.minRate, rate / 2)
    }
  }
  // bisect
  while (lo !== null && hi !== null && (hi / lo - 1) * 100 > cfg.resolutionPct) {
    if (!cfg.timeLeft()) return done('budget')
    await run(Math.sqrt(lo * hi))
  }
  return done('resolution')
}
