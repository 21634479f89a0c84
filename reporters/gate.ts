// The regression gate. Which metrics it judges, their default thresholds and whether a noise floor applies
// come from the metric registry (helpers/metrics/registry.ts); env vars override thresholds for a whole
// run, a spec's `gate` options override both for its cases (the specific beats the general).
// A metric regresses only when its change passes the threshold AND an absolute noise floor (time
// metrics) AND is significant against run-to-run noise after Holm's correction over every test of the
// run (gate-evidence.ts). Health failures (0 samples, all failed, client-bound, error rate over the
// ceiling, interrupted run) fail with or without a baseline.
import { failure, type Failure } from '../helpers/failure.ts'
import { GATE_METRICS, gateSamples, gateValue, type GateMetricDef, type GateThresholdKey } from '../helpers/metrics/registry.ts'
import { defOf } from '../env/knobs.ts'
import type { TrialStat } from '../helpers/types.ts'
import { shortKey } from './case-key.ts'
import { bootstrapLogSe, caseNoise, caseNoiseEstimate, holm, poolNoise, runLevelTest, type RunLevelTest } from './gate-evidence.ts'
import { seedOf } from './gate-stats.ts'
import type { BaselineCase, GateFailure, GateResult, GateRow, GateThresholds, LoadedBaseline, MetricId, SampleId } from './gate-types.ts'
import { caseRequests, type RunCase, type RunData } from './run-data.ts'

export type { GateFailure, GateResult, GateRow, GateThresholds, MetricId, SampleId, Verdict } from './gate-types.ts'

/** The knob of each threshold: one per gated metric of the registry, plus the error-rate ceiling, α and the noise settings. */
export const THRESHOLD_ENV: Record<keyof GateThresholds, string> = {
  ...(Object.fromEntries(GATE_METRICS.map((g) => [g.threshold, g.knob])) as Record<GateThresholdKey, string>),
  errorRateMaxPct: 'BENCH_GATE_ERROR_RATE_MAX_PCT',
  alpha: 'BENCH_GATE_ALPHA',
  noiseFloorMs: 'BENCH_GATE_NOISE_FLOOR_MS',
  runNoisePct: 'BENCH_GATE_RUN_NOISE_PCT',
}

// Defaults and what is valid come from the knob schema only, so the gate accepts exactly what the knob
// check before the run accepts (BENCH_GATE_ALPHA=1 used to pass that check and fail here, after every bench).
function thresholdValue(name: string, raw: string): number {
  const def = defOf(name)
  if (!def) throw new Error(`${name} is not in the knob schema (env/knobs.ts); every gate threshold needs a knob entry`)
  const parsed = def.schema.safeParse(raw)
  if (!parsed.success || typeof parsed.data !== 'number')
    throw new Error(`${name}='${raw}' is not valid: expected ${def.allowed}. Unset it to use the default ${def.default}.`)
  return parsed.data
}

export const DEFAULT_THRESHOLDS: GateThresholds = Object.fromEntries(
  Object.entries(THRESHOLD_ENV).map(([key, name]) => [key, thresholdValue(name, defOf(name)?.default ?? '')]),
) as unknown as GateThresholds

/** Defaults overridden by BENCH_GATE_* env vars; a bad value is an error naming the variable. */
export function thresholdsFromEnv(env: NodeJS.ProcessEnv = process.env): GateThresholds {
  const t = { ...DEFAULT_THRESHOLDS }
  for (const [key, name] of Object.entries(THRESHOLD_ENV) as Array<[keyof GateThresholds, string]>) {
    const raw = env[name]
    if (raw === undefined || raw.trim() === '') continue
    t[key] = thresholdValue(name, raw)
  }
  return t
}

type MetricDef = GateMetricDef

/** Gated metrics (tok/s, TTFT p50/p99…): one entry per gated stat of a registry descriptor. */
export const METRICS: readonly MetricDef[] = GATE_METRICS

/** Trials report these p50s each (load cases, BENCH_TRIALS > 1): replicates within a run. */
const TRIAL_FIELDS: Partial<Record<MetricId, keyof TrialStat>> = { ttft_p50: 'ttftP50Ms', tpot_p50: 'tpotP50Ms', e2e_p50: 'e2eP50Ms' }

/** The numbers of one case the gate compares: summary values, per-trial values and per-request samples. */
export interface CaseMetrics {
  values: Record<MetricId, number | null>
  /** Per-trial values where the case ran BENCH_TRIALS > 1. */
  trials: Partial<Record<MetricId, number[]>>
  samples: Record<SampleId, number[]>
  requests: number
  ok: number
  failed: number
  loopDelayP99Ms?: number
}

export function caseMetrics(run: RunData, c: RunCase): CaseMetrics {
  const s = c.summary
  const reqs = caseRequests(run, c)
  const trialStats = s.load?.trialStats ?? []
  const trials: CaseMetrics['trials'] = {}
  if (trialStats.length > 1)
    for (const [id, field] of Object.entries(TRIAL_FIELDS) as Array<[MetricId, keyof TrialStat]>)
      trials[id] = trialStats.map((t) => t[field]).filter((v): v is number => typeof v === 'number' && v > 0)
  return {
    values: Object.fromEntries(METRICS.map((g) => [g.id, gateValue(g, s, s.counts.ok)])) as Record<MetricId, number | null>,
    trials,
    samples: Object.fromEntries(METRICS.map((g) => [g.samples, gateSamples(g, reqs, s)])) as Record<SampleId, number[]>,
    requests: s.counts.requests,
    ok: s.counts.ok,
    failed: s.counts.failed,
    ...(s.clientHealth ? { loopDelayP99Ms: s.clientHealth.loopDelayP99Ms } : {}),
  }
}

export interface GateOptions {
  baseline?: LoadedBaseline
  allowClientBound?: boolean
  env?: NodeJS.ProcessEnv
}

/** Minimum current-run samples for a comparison to count. */
const MIN_SAMPLES = 3

/** ln of each baseline replicate of a metric: every trial of every run where trials were kept, else the run's value. */
export function baselineLogs(b: BaselineCase, id: MetricId): number[] {
  const out: number[] = []
  for (const r of b.runs) {
    const trials = r.trials?.[id]
    const vals = trials && trials.length > 1 ? trials : [r.values[id]]
    for (const v of vals) if (v !== null && v !== undefined && v > 0) out.push(Math.log(v))
  }
  return out
}

/** The run noise assumed before any baseline run measures it: log scale, doubled for tails. */
const priorSigma = (def: MetricDef, t: GateThresholds) => Math.log(1 + t.runNoisePct / 100) * def.runNoiseScale

interface Pending {
  row: GateRow
  test?: RunLevelTest
  /** The change points the bad way (slower, less tok/s), past the threshold or not. */
  towardWorse: boolean
  worse: boolean
  better: boolean
  floored: boolean
  fewSamples: number
}

function compare(def: MetricDef, key: string, base: BaselineCase, now: CaseMetrics, t: GateThresholds, pooled: ReturnType<typeof poolNoise>): Pending {
  const logs = baselineLogs(base, def.id)
  const b = logs.length ? Math.exp(logs.reduce((x, y) => x + y, 0) / logs.length) : null
  const n = now.values[def.id]
  const thresholdPct = t[def.threshold]
  const changePct = b !== null && n !== null && n > 0 ? (n / b - 1) * 100 : null
  const row: GateRow = {
    caseKey: key,
    stack: base.stack,
    model: base.model,
    metric: def.id,
    label: def.label,
    baseline: b,
    now: n,
    changePct,
    thresholdPct,
    test: 'run-level t',
    baselineRuns: logs.length,
    verdict: 'unchanged',
  }
  if (changePct === null || b === null || n === null)
    return {
      row: { ...row, note: 'no value on one side' },
      towardWorse: false,
      worse: false,
      better: false,
      floored: false,
      fewSamples: 0,
    }
  const noise = caseNoiseEstimate(pooled, caseNoise(logs), priorSigma(def, t))
  const within = bootstrapLogSe(now.samples[def.samples], def.q, seedOf(`${key}|${def.id}`))
  const test = runLevelTest(logs, Math.log(n), noise, within, def.higherBetter)
  const towardWorse = def.higherBetter === changePct < 0
  row.pValue = towardWorse ? test.pWorse : test.pBetter
  row.noisePct = (Math.exp(Math.max(noise.sigma, within)) - 1) * 100
  row.df = noise.df
  let floored = false
  if (def.noiseFloor === 'ms') {
    const loop = Math.max(now.loopDelayP99Ms ?? 0, ...base.runs.map((r) => r.loopDelayP99Ms ?? 0))
    row.floorMs = Math.max(t.noiseFloorMs, loop)
    floored = Math.abs(n - b) < row.floorMs
  }
  const worse = def.higherBetter ? changePct < -thresholdPct : changePct > thresholdPct
  const better = def.higherBetter ? changePct > thresholdPct : changePct < -thresholdPct
  return {
    row,
    test,
    towardWorse,
    worse,
    better,
    floored,
    fewSamples: now.samples[def.samples].length,
  }
}

/** Holm over every test of the run, once for "worse" and once for "better"; then each row's verdict. */
function decide(pending: Pending[], alpha: (p: Pending) => number): GateRow[] {
  const tested = pending.filter((p) => p.test)
  const adjWorse = holm(tested.map((p) => p.test!.pWorse))
  const adjBetter = holm(tested.map((p) => p.test!.pBetter))
  tested.forEach((p, i) => {
    const { row } = p
    const adj = p.towardWorse ? adjWorse[i] : adjBetter[i]
    row.pAdjusted = adj
    if (!p.worse && !p.better) return
    if (p.floored) {
      row.note = `change ${Math.abs(row.now! - row.baseline!).toFixed(2)} ms is within the noise floor ${row.floorMs!.toFixed(2)} ms`
      return
    }
    if (p.fewSamples < MIN_SAMPLES) {
      row.verdict = 'inconclusive'
      row.note = `past the threshold but only ${p.fewSamples} current samples; raise BENCH_REQUESTS to ≥ ${MIN_SAMPLES}`
      return
    }
    if (adj < alpha(p)) row.verdict = p.worse ? 'regressed' : 'improved'
    else row.note = `not significant against run-to-run noise (adjusted p=${adj.toPrecision(2)} ≥ α=${alpha(p)})`
  })
  return pending.map((p) => p.row)
}

function healthFailures(c: RunCase, t: GateThresholds, allowClientBound: boolean): Failure[] {
  const s = c.summary
  const out: Failure[] = []
  for (const f of s.failures) if (!(allowClientBound && f.code === 'client_bound')) out.push(f)
  if (s.counts.ok === 0 && out.length === 0) out.push(failure('zero_samples', '0 samples: no measured request succeeded'))
  const rate = s.counts.requests > 0 ? (s.counts.failed / s.counts.requests) * 100 : 0
  if (s.counts.failed > 0 && rate > t.errorRateMaxPct && s.counts.ok > 0)
    out.push(
      failure(
        'error_rate',
        `error rate ${rate.toFixed(1)}% (${s.counts.failed} of ${s.counts.requests} requests) is above the ceiling ${t.errorRateMaxPct}% (BENCH_GATE_ERROR_RATE_MAX_PCT)`,
      ),
    )
  return out
}

export function runGate(run: RunData, opts: GateOptions = {}): GateResult {
  const envT = thresholdsFromEnv(opts.env)
  const failures: GateFailure[] = []
  const warnings: string[] = []
  const cases = run.summary?.cases ?? []
  const runFail = (code: Failure['code'], message: string) => failures.push({ caseKey: '(run)', code, message })
  if (!run.summary) runFail('no_results', `no readable summary.json in ${run.dir}: nothing to judge`)
  else if (cases.length === 0) runFail('no_results', 'the run measured no bench case (filtered out by -t / --project, or every spec was skipped)')
  if (run.summary?.incomplete) runFail('interrupted', 'the run was interrupted (incomplete); its numbers are partial')
  const base = opts.baseline
  const pooled = new Map(METRICS.map((def) => [def.id, poolNoise((base?.cases ?? []).map((b) => baselineLogs(b, def.id)))]))
  const pending: Pending[] = []
  const caseAlpha = new Map<Pending, number>()
  const seen = new Set<string>()
  for (const c of cases) {
    const t = { ...envT, ...(c.gate ?? {}) }
    seen.add(c.fullName)
    for (const f of healthFailures(c, t, opts.allowClientBound ?? false)) failures.push({ caseKey: c.fullName, ...f })
    if (!base) continue
    const b = base.cases.find((x) => x.key === c.fullName)
    if (!b) {
      warnings.push(`${c.fullName}: new case, not in baseline '${base.name}'`)
      continue
    }
    const now = caseMetrics(run, c)
    if (now.ok === 0) continue // already a health failure; nothing to compare
    for (const def of METRICS) {
      const p = compare(def, c.fullName, b, now, t, pooled.get(def.id)!)
      caseAlpha.set(p, t.alpha)
      pending.push(p)
    }
  }
  const rows = decide(pending, (p) => caseAlpha.get(p) ?? envT.alpha)
  const missing = base ? base.cases.filter((b) => !seen.has(b.key)).map((b) => b.key) : []
  if (missing.length)
    warnings.push(
      `${missing.length} case(s) of baseline '${base?.name}' not measured in this run (filtered with -t/--project?): ${missing.slice(0, 3).map(shortKey).join('; ')}${missing.length > 3 ? '; …' : ''}`,
    )
  const single = rows.filter((r) => r.baselineRuns === 1)
  if (single.length)
    warnings.push(
      `1-run baseline (${new Set(single.map((r) => r.caseKey)).size} case(s)): run-to-run noise is assumed (±${envT.runNoisePct}% per run, BENCH_GATE_RUN_NOISE_PCT), not measured, so only large changes count as regressions; save 3+ runs (\`fuze-bench baseline save RUN RUN RUN\`) for a tighter gate`,
    )
  const regressions = rows.filter((r) => r.verdict === 'regressed')
  const improvements = rows.filter((r) => r.verdict === 'improved')
  for (const r of rows.filter((x) => x.verdict === 'inconclusive')) warnings.push(`${r.caseKey}: ${r.label}: ${r.note}`)
  return {
    passed: failures.length === 0 && regressions.length === 0,
    runId: run.runId,
    baseline: base
      ? {
          path: base.path,
          name: base.name,
          runId: base.runIds.at(-1) ?? '',
          runIds: base.runIds,
        }
      : null,
    thresholds: envT,
    failures,
    rows,
    regressions,
    improvements,
    warnings,
  }
}
