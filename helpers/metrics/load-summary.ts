// The `load` and `goodput` parts of a CaseSummary: steady-state throughput, goodput, achieved rate and the
// spread across trials. Folded per request into bounded accumulators (TrialAcc: window sums, rate fits,
// QuantileAccs), so a load case of any length keeps a few KB per trial; summarizeLoad reads them, never records
// or the clock.
import { failure, type Failure } from '../failure.ts'
import type { CaseSummary, GoodputSummary, LoadSummary, RequestRecord, SloSpec, TrialStat, WindowThroughput } from '../types.ts'
import { ci95 } from './ci.ts'
import { dist } from './dist.ts'
import { hasSlo, meetsSlo, poolWindows, RATE_MISS_LIMIT_PCT, RateFit, rateVerdict, WindowAcc } from './load.ts'
import { QuantileAcc } from './sketch.ts'

/** Where the steady-state window stands when a request finishes (ms from the measured-phase origin). */
export interface WindowNow {
  /** undefined: the full load is not applied yet, so the request ended before the window. */
  startMs: number | undefined
  /** Infinity: the window has not ended yet, so the request ended inside it or before. */
  endMs: number
}

/** One trial of a load phase, folded request by request. */
export class TrialAcc {
  requests = 0
  ok = 0
  good = 0
  /** Ok requests whose server-counted output differs from what they asked for. */
  short = 0
  readonly all = new WindowAcc()
  readonly goodOnly = new WindowAcc()
  readonly ttft = new QuantileAcc()
  readonly tpot = new QuantileAcc()
  readonly e2e = new QuantileAcc()
  readonly releases = new RateFit()
  readonly dues = new RateFit()
  /** Steady-state window (ms from the measured-phase origin); null when the full load was never applied. */
  window: { startMs: number; endMs: number } | null = null
  maxInFlight = 0
  aborted: string | undefined
  /** Stopped because the level was past saturation (load/saturation.ts), not for an error. */
  saturation: LoadSummary['saturation']

  /** `fromArrival`: an open loop, whose SLOs judge TTFT and E2E from each request's scheduled arrival (meetsSlo). */
  constructor(
    readonly trial: number,
    readonly rampEndMs: number,
    private readonly slo: SloSpec,
    private readonly fromArrival = false,
  ) {}

  /** A measured request of this trial; `promptTokens` / `requested`: its counts as sent. */
  add(r: RequestRecord, win: WindowNow, promptTokens: number, requested: number | null): void {
    this.requests++
    const good = meetsSlo(r, this.slo, this.fromArrival)
    if (good) this.good++
    if (r.outcome === 'ok') {
      this.ok++
      if (r.ttftMs !== null) this.ttft.add(r.ttftMs)
      if (r.tpotMs !== null) this.tpot.add(r.tpotMs)
      if (r.e2eMs !== null) this.e2e.add(r.e2eMs)
      if (r.outputTokensServer !== null && requested !== r.outputTokensServer) this.short++
    }
    if (win.startMs === undefined) return
    this.all.add(r, win.startMs, win.endMs, promptTokens)
    if (hasSlo(this.slo)) this.goodOnly.add(r, win.startMs, win.endMs, promptTokens, good)
  }

  /** A release: due and actual offsets from the trial's start (only those due after the ramp feed the rate). */
  release(dueOffsetMs: number, releaseOffsetMs: number): void {
    if (dueOffsetMs < this.rampEndMs) return
    this.dues.add(dueOffsetMs)
    this.releases.add(releaseOffsetMs)
  }

  windowOf(w: WindowAcc): WindowThroughput | null {
    return this.window ? w.result(this.window.startMs, this.window.endMs) : null
  }
}

export interface LoadAcc {
  level: Pick<LoadSummary, 'mode' | 'concurrency' | 'targetRate' | 'arrival' | 'rampUpS' | 'durationS' | 'requestBudget' | 'preset'>
  trials: TrialAcc[]
  /** Dispatch lag of every released request, all trials. */
  dispatchLagMs: QuantileAcc
  /** Prompt set of the workload (bounded: at most the prepared prompts). */
  prompts: Omit<LoadSummary['prompts'], 'inputTokens' | 'outputTokensRequested'> & { inputTokens: number[]; outputTokensRequested: number[] }
}

/** Back-compat name: what load cases hand to the summariser. */
export type LoadInput = LoadAcc

export interface LoadParts {
  load: LoadSummary
  goodput?: GoodputSummary
  failures: Failure[]
  warnings: string[]
}

/** Goodput of requests judged against `slo` (from their scheduled arrival in an open loop), per second over `seconds` of load. */
export function goodputOf(records: readonly RequestRecord[], slo: SloSpec, perSec: number, fromArrival = false): GoodputSummary {
  const good = records.filter((r) => meetsSlo(r, slo, fromArrival)).length
  return { slo, good, total: records.length, fraction: records.length > 0 ? good / records.length : 0, requestsPerSec: perSec }
}

export function summarizeLoad(input: LoadAcc, base: CaseSummary, slo: SloSpec): LoadParts {
  const failures: Failure[] = []
  const warnings: string[] = []
  const judged = hasSlo(slo)
  const windows = input.trials.map((t) => t.windowOf(t.all))
  const goodWindows = input.trials.map((t) => (judged ? t.windowOf(t.goodOnly) : null))
  const steady = poolWindows(windows.filter((w): w is WindowThroughput => w !== null))
  if (steady === null) {
    const c = input.level.concurrency
    warnings.push(
      input.level.mode === 'closed' && c !== undefined && input.level.requestBudget !== undefined && input.level.requestBudget < c
        ? `no steady state: only ${input.level.requestBudget} requests for ${c} streams, so the streams were never all busy; raise BENCH_REQUESTS or set BENCH_DURATION`
        : 'no steady state: the full load was never applied (too few requests); raise BENCH_REQUESTS or set BENCH_DURATION',
    )
  }

  const target = input.level.targetRate
  const rates = target !== undefined ? input.trials.map((t) => rateVerdict(target, t.releases, t.dues)) : []
  const rateOk = rates.filter((r) => r !== null)
  let rateFields: Pick<LoadSummary, 'achievedRate' | 'scheduledRate' | 'rateMissPct' | 'rateMissed'> = {}
  if (rateOk.length > 0 && target !== undefined) {
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    const achievedRate = avg(rateOk.map((r) => r.achievedRate))
    const rateMissPct = (achievedRate / target - 1) * 100
    const rateMissed = Math.abs(rateMissPct) > RATE_MISS_LIMIT_PCT
    rateFields = { achievedRate, scheduledRate: avg(rateOk.map((r) => r.scheduledRate)), rateMissPct, rateMissed }
    // a miss the arrival draws explain (few Poisson arrivals) is no warning: rateVerdict says which are
    const why = rateOk.find((r) => r.warning)?.warning
    if (rateMissed && why !== undefined) warnings.push(why)
  }

  const aborted = input.trials.find((t) => t.aborted !== undefined)?.aborted
  if (aborted !== undefined) failures.push(failure('error_rate', aborted))
  const saturation = input.trials.find((t) => t.saturation !== undefined)?.saturation

  const trialStats: TrialStat[] = input.trials.map((t, i) => {
    const w = windows[i]
    return {
      trial: t.trial,
      requests: t.requests,
      ok: t.ok,
      requestThroughput: w?.requestThroughput ?? 0,
      outputTokenThroughput: w?.outputTokenThroughput ?? 0,
      totalTokenThroughput: w?.totalTokenThroughput ?? 0,
      goodputPerSec: judged ? (goodWindows[i]?.requestThroughput ?? 0) : null,
      ttftP50Ms: t.ttft.dist().p50,
      tpotP50Ms: t.tpot.dist().p50,
      e2eP50Ms: t.e2e.dist().p50,
      achievedRate: rates[i]?.achievedRate ?? null,
    }
  })
  let ci: LoadSummary['ci95']
  if (trialStats.length > 1) {
    ci = {}
    for (const k of ['requestThroughput', 'outputTokenThroughput', 'totalTokenThroughput', 'goodputPerSec', 'ttftP50Ms', 'tpotP50Ms', 'e2eP50Ms'] as const) {
      const c = ci95(trialStats.map((s) => s[k]))
      if (c) ci[k] = c
    }
  }

  if (input.prompts.outputForced) {
    const short = input.trials.reduce((a, t) => a + t.short, 0)
    if (short > 0)
      warnings.push(
        `${short} request(s) returned another output length than requested although it was forced (${input.prompts.forcedBy}): the server ignored it`,
      )
  }

  const measured = base.counts.requests
  const good = input.trials.reduce((a, t) => a + t.good, 0)
  const goodWindow = poolWindows(goodWindows.filter((w): w is WindowThroughput => w !== null))
  const goodput: GoodputSummary | undefined = judged
    ? {
        slo,
        good,
        total: measured,
        fraction: measured > 0 ? good / measured : 0,
        requestsPerSec: goodWindow?.requestThroughput ?? (base.wallMs > 0 ? (good * 1000) / base.wallMs : 0),
      }
    : undefined

  const load: LoadSummary = {
    ...input.level,
    trials: input.trials.length,
    steadyState: steady,
    ...rateFields,
    errorRate: measured > 0 ? base.counts.failed / measured : 0,
    aborted: aborted !== undefined,
    ...(aborted !== undefined ? { abortReason: aborted } : {}),
    ...(saturation !== undefined ? { saturation } : {}),
    dispatchLagMs: input.dispatchLagMs.dist(),
    clientQueueMs: base.queueMs,
    maxInFlight: Math.max(0, ...input.trials.map((t) => t.maxInFlight)),
    // the case runner's self-calibration (case-runner.ts judgeClient) fills these in, as for every case
    eventLoopDelay: { p50Ms: 0, p99Ms: 0, maxMs: 0 },
    clientBound: false,
    prompts: { ...input.prompts, inputTokens: dist(input.prompts.inputTokens), outputTokensRequested: dist(input.prompts.outputTokensRequested) },
    trialStats,
    ...(ci ? { ci95: ci } : {}),
  }
  return { load, ...(goodput ? { goodput } : {}), failures, warnings }
}
