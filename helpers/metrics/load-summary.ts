// The `load` and `goodput` parts of a CaseSummary: steady-state throughput, goodput, achieved rate, client
// health and the spread across trials. summarizeCase calls this; it reads records, never the clock.
import type { CaseSummary, GoodputSummary, LoadSummary, RequestRecord, SloSpec, TrialStat, WindowThroughput } from '../types.ts'
import { ci95 } from './ci.ts'
import { dist } from './dist.ts'
import { hasSlo, meetsSlo, poolWindows, RATE_MISS_LIMIT_PCT, rateCheck, windowThroughput } from './load.ts'

export interface TrialInput {
  trial: number
  /** Measured records of this trial; tStartMs relative to the case's measured-phase origin. */
  records: RequestRecord[]
  /** Steady-state window, ms relative to the same origin; null when the full load was never applied. */
  window: { startMs: number; endMs: number } | null
  /** Due and release offsets of this trial's requests (ms from the trial's own start), release order. */
  dueOffsetsMs: number[]
  releaseOffsetsMs: number[]
  rampEndMs: number
  dispatchLagMs: number[]
  maxInFlight: number
  aborted?: string
}

export interface LoadInput {
  level: Pick<LoadSummary, 'mode' | 'concurrency' | 'targetRate' | 'arrival' | 'rampUpS' | 'durationS' | 'requestBudget' | 'preset'>
  trials: TrialInput[]
  prompts: Omit<LoadSummary['prompts'], 'inputTokens' | 'outputTokensRequested'> & { inputTokens: number[]; outputTokensRequested: number[] }
  /** Prompt tokens of a record: the server's count, else the count taken before sending, else 0. */
  promptTokens: (r: RequestRecord) => number
  /** Output tokens this record asked for. */
  requestedTokens: (r: RequestRecord) => number | null
}

export interface LoadParts {
  load: LoadSummary
  goodput?: GoodputSummary
  failures: string[]
  warnings: string[]
}

/** Goodput of requests judged against `slo`, per second over `seconds` of load. */
export function goodputOf(records: readonly RequestRecord[], slo: SloSpec, perSec: number): GoodputSummary {
  const good = records.filter((r) => meetsSlo(r, slo)).length
  return { slo, good, total: records.length, fraction: records.length > 0 ? good / records.length : 0, requestsPerSec: perSec }
}

function trialWindow(t: TrialInput, promptTokens: LoadInput['promptTokens'], good?: (r: RequestRecord) => boolean): WindowThroughput | null {
  return t.window ? windowThroughput(t.records, t.window.startMs, t.window.endMs, promptTokens, good) : null
}

export function summarizeLoad(input: LoadInput, base: CaseSummary, slo: SloSpec): LoadParts {
  const failures: string[] = []
  const warnings: string[] = []
  const all = input.trials.flatMap((t) => t.records)
  const judged = hasSlo(slo)
  const isGood = (r: RequestRecord) => meetsSlo(r, slo)
  const windows = input.trials.map((t) => trialWindow(t, input.promptTokens))
  const goodWindows = input.trials.map((t) => (judged ? trialWindow(t, input.promptTokens, isGood) : null))
  const steady = poolWindows(windows.filter((w): w is WindowThroughput => w !== null))
  if (steady === null) {
    const c = input.level.concurrency
    warnings.push(
      input.level.mode === 'closed' && c !== undefined && input.level.requestBudget !== undefined && input.level.requestBudget < c
        ? `no steady state: only ${input.level.requestBudget} requests for ${c} streams, so the streams were never all busy; raise BENCH_REQUESTS or set BENCH_DURATION`
        : 'no steady state: the full load was never applied (too few requests); raise BENCH_REQUESTS or set BENCH_DURATION',
    )
  }

  const rates = input.level.targetRate !== undefined ? input.trials.map((t) => rateCheck(input.level.targetRate!, t.dueOffsetsMs, t.releaseOffsetsMs, t.rampEndMs)) : []
  const rateOk = rates.filter((r) => r !== null)
  let rateFields: Pick<LoadSummary, 'achievedRate' | 'scheduledRate' | 'rateMissPct' | 'rateMissed'> = {}
  if (rateOk.length > 0 && input.level.targetRate !== undefined) {
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    const achievedRate = avg(rateOk.map((r) => r.achievedRate))
    const rateMissPct = (achievedRate / input.level.targetRate - 1) * 100
    const rateMissed = Math.abs(rateMissPct) > RATE_MISS_LIMIT_PCT
    rateFields = { achievedRate, scheduledRate: avg(rateOk.map((r) => r.scheduledRate)), rateMissPct, rateMissed }
    if (rateMissed)
      warnings.push(
        rateOk.find((r) => r.warning)?.warning ??
          `achieved request rate ${achievedRate.toFixed(3)}/s missed the target ${input.level.targetRate}/s by ${rateMissPct.toFixed(1)}% (limit ±${RATE_MISS_LIMIT_PCT}%)`,
      )
  }

  const lags = input.trials.flatMap((t) => t.dispatchLagMs)
  const lagDist = dist(lags)

  const aborted = input.trials.find((t) => t.aborted !== undefined)?.aborted
  if (aborted !== undefined) failures.push(aborted)

  const measured = all.length
  const failed = all.filter((r) => r.outcome !== 'ok').length
  const trialStats: TrialStat[] = input.trials.map((t, i) => {
    const ok = t.records.filter((r) => r.outcome === 'ok')
    const w = windows[i]
    const rc = rates[i]
    return {
      trial: t.trial,
      requests: t.records.length,
      ok: ok.length,
      requestThroughput: w?.requestThroughput ?? 0,
      outputTokenThroughput: w?.outputTokenThroughput ?? 0,
      totalTokenThroughput: w?.totalTokenThroughput ?? 0,
      goodputPerSec: judged ? (goodWindows[i]?.requestThroughput ?? 0) : null,
      ttftP50Ms: dist(ok.map((r) => r.ttftMs ?? NaN)).p50,
      tpotP50Ms: dist(ok.map((r) => r.tpotMs ?? NaN)).p50,
      e2eP50Ms: dist(ok.map((r) => r.e2eMs ?? NaN)).p50,
      achievedRate: rc?.achievedRate ?? null,
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
    const short = all.filter((r) => r.outcome === 'ok' && r.outputTokensServer !== null && input.requestedTokens(r) !== r.outputTokensServer).length
    if (short > 0)
      warnings.push(`${short} request(s) returned another output length than requested although it was forced (${input.prompts.forcedBy}): the server ignored it`)
  }

  const goodWindow = poolWindows(goodWindows.filter((w): w is WindowThroughput => w !== null))
  const goodput = judged
    ? goodputOf(all, slo, goodWindow?.requestThroughput ?? (base.wallMs > 0 ? (all.filter(isGood).length * 1000) / base.wallMs : 0))
    : undefined

  const load: LoadSummary = {
    ...input.level,
    trials: input.trials.length,
    steadyState: steady,
    ...rateFields,
    errorRate: measured > 0 ? failed / measured : 0,
    aborted: aborted !== undefined,
    ...(aborted !== undefined ? { abortReason: aborted } : {}),
    dispatchLagMs: lagDist,
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
