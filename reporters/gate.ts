// The regression gate. Which metrics it judges and their default thresholds come from the metric registry
// (helpers/metrics/registry.ts); env vars override them for a whole run, a spec's `gate` options override
// both for its cases (the specific beats the general).
// A metric regresses only when its change passes the threshold AND the change is significant on the
// per-request samples (see gate-stats.ts). Health failures (0 samples, all failed, client-bound,
// error rate over the ceiling, interrupted run) fail with or without a baseline.
import { GATE_METRICS, gateSamples, gateValue, type GateMetricDef, type GateThresholdKey } from '../helpers/metrics/registry.ts'
import { shortKey } from './case-key.ts'
import type { Baseline, BaselineCase, GateThresholds, MetricId, SampleId } from './gate-types.ts'
import { bootstrapChangeCi, mannWhitney, seedOf } from './gate-stats.ts'
import { caseRequests, type RunCase, type RunData } from './run-data.ts'

export const DEFAULT_THRESHOLDS: GateThresholds = {
  ...(Object.fromEntries(GATE_METRICS.map((g) => [g.threshold, g.defaultPct])) as Record<GateThresholdKey, number>),
  errorRateMaxPct: 0,
  alpha: 0.05,
}

export const THRESHOLD_ENV: Record<keyof GateThresholds, string> = {
  ...(Object.fromEntries(GATE_METRICS.map((g) => [g.threshold, g.knob])) as Record<GateThresholdKey, string>),
  errorRateMaxPct: 'BENCH_GATE_ERROR_RATE_MAX_PCT',
  alpha: 'BENCH_GATE_ALPHA',
}

/** Defaults overridden by BENCH_GATE_* env vars; a bad value is an error naming the variable. */
export function thresholdsFromEnv(env: NodeJS.ProcessEnv = process.env): GateThresholds {
  const t = { ...DEFAULT_THRESHOLDS }
  for (const [key, name] of Object.entries(THRESHOLD_ENV) as Array<[keyof GateThresholds, string]>) {
    const raw = env[name]
    if (raw === undefined || raw.trim() === '') continue
    const v = Number(raw)
    const ok = key === 'alpha' ? v > 0 && v < 1 : Number.isFinite(v) && v >= 0
    if (!ok)
      throw new Error(
        `${name}='${raw}' is not valid: expected ${key === 'alpha' ? 'a number between 0 and 1 (e.g. 0.05)' : 'a percentage ≥ 0 (e.g. 10)'}. Unset it to use the default ${DEFAULT_THRESHOLDS[key]}.`,
      )
    t[key] = v
  }
  return t
}

type MetricDef = GateMetricDef

/** Gated metrics (tok/s, TTFT p50/p99…): one entry per gated stat of a registry descriptor. */
export const METRICS: readonly MetricDef[] = GATE_METRICS

/** The numbers of one case the gate compares: summary values and per-request samples. */
export interface CaseMetrics {
  values: Record<MetricId, number | null>
  samples: Record<SampleId, number[]>
  requests: number
  ok: number
  failed: number
}

export function caseMetrics(run: RunData, c: RunCase): CaseMetrics {
  const s = c.summary
  const reqs = caseRequests(run, c)
  return {
    values: Object.fromEntries(METRICS.map((g) => [g.id, gateValue(g, s, s.counts.ok)])) as Record<MetricId, number | null>,
    samples: Object.fromEntries(METRICS.map((g) => [g.samples, gateSamples(g, reqs, s)])) as Record<SampleId, number[]>,
    requests: s.counts.requests,
    ok: s.counts.ok,
    failed: s.counts.failed,
  }
}

export type Verdict = 'regressed' | 'improved' | 'unchanged' | 'inconclusive'

export interface GateRow {
  caseKey: string
  stack: string
  model: string
  metric: MetricId
  label: string
  baseline: number | null
  now: number | null
  /** (now − baseline) / baseline in percent. */
  changePct: number | null
  thresholdPct: number
  test: 'mann-whitney' | 'bootstrap'
  pValue?: number
  /** 95% CI of the relative change in percent (bootstrap). */
  ciPct?: [number, number]
  verdict: Verdict
  note?: string
}

export interface GateFailure {
  caseKey: string
  reason: string
}

export interface GateResult {
  passed: boolean
  runId: string
  baseline: { path: string; name: string; runId: string } | null
  thresholds: GateThresholds
  failures: GateFailure[]
  rows: GateRow[]
  regressions: GateRow[]
  improvements: GateRow[]
  warnings: string[]
}

export interface GateOptions {
  baseline?: Baseline & { path: string }
  allowClientBound?: boolean
  env?: NodeJS.ProcessEnv
}

/** Minimum per-side samples for a test to be able to reach significance. */
const MIN_SAMPLES = 3

function compare(def: MetricDef, key: string, base: BaselineCase, now: CaseMetrics, t: GateThresholds): GateRow {
  const b = base.values[def.id] ?? null // a baseline saved before this metric existed has none
  const n = now.values[def.id]
  const thresholdPct = t[def.threshold]
  const changePct = b !== null && n !== null && b !== 0 ? (n / b - 1) * 100 : null
  const row: GateRow = {
    caseKey: key, stack: base.stack, model: base.model, metric: def.id, label: def.label,
    baseline: b, now: n, changePct, thresholdPct, test: def.q === 0.99 ? 'bootstrap' : 'mann-whitney', verdict: 'unchanged',
  }
  if (changePct === null) return { ...row, note: 'no value on one side' }
  const worse = def.higherBetter ? changePct < -thresholdPct : changePct > thresholdPct
  const better = def.higherBetter ? changePct > thresholdPct : changePct < -thresholdPct
  if (!worse && !better) return row
  const xb = base.samples[def.samples] ?? []
  const xn = now.samples[def.samples]
  if (xb.length < MIN_SAMPLES || xn.length < MIN_SAMPLES)
    return { ...row, verdict: 'inconclusive', note: `past the threshold but only ${xb.length} baseline / ${xn.length} current samples; raise BENCH_REQUESTS to ≥ ${MIN_SAMPLES}` }
  // "worse" means: now larger for latencies, now smaller for tok/s
  const upIsWorse = !def.higherBetter
  if (row.test === 'mann-whitney') {
    const alt = (worse === upIsWorse) ? 'greater' : 'less'
    const p = mannWhitney(xn, xb, alt)
    row.pValue = p
    if (p < t.alpha) row.verdict = worse ? 'regressed' : 'improved'
    else row.note = `not significant (p=${p.toPrecision(2)} ≥ α=${t.alpha})`
  } else {
    const ci = bootstrapChangeCi(xb, xn, def.q, seedOf(`${key}|${def.id}`), 2000, 1 - t.alpha)
    if (ci) row.ciPct = ci
    const sig = ci !== null && (ci[0] > 0 || ci[1] < 0)
    if (sig) row.verdict = worse ? 'regressed' : 'improved'
    else row.note = 'not significant (CI includes 0)'
  }
  return row
}

/** A case failure that BENCH_ALLOW_CLIENT_BOUND=1 accepts (the reporter and the gate agree on it). */
export const CLIENT_BOUND = /client[- ]bound/i

function healthFailures(c: RunCase, t: GateThresholds, allowClientBound: boolean): string[] {
  const s = c.summary
  const out: string[] = []
  for (const f of s.failures) if (!(allowClientBound && CLIENT_BOUND.test(f))) out.push(f)
  if (s.counts.ok === 0 && out.length === 0) out.push('0 samples: no measured request succeeded')
  const rate = s.counts.requests > 0 ? (s.counts.failed / s.counts.requests) * 100 : 0
  if (s.counts.failed > 0 && rate > t.errorRateMaxPct && s.counts.ok > 0)
    out.push(
      `error rate ${rate.toFixed(1)}% (${s.counts.failed} of ${s.counts.requests} requests) is above the ceiling ${t.errorRateMaxPct}% (BENCH_GATE_ERROR_RATE_MAX_PCT)`,
    )
  return out
}

export function runGate(run: RunData, opts: GateOptions = {}): GateResult {
  const envT = thresholdsFromEnv(opts.env)
  const failures: GateFailure[] = []
  const rows: GateRow[] = []
  const warnings: string[] = []
  const cases = run.summary?.cases ?? []
  if (!run.summary) failures.push({ caseKey: '(run)', reason: `no readable summary.json in ${run.dir}: nothing to judge` })
  else if (cases.length === 0) failures.push({ caseKey: '(run)', reason: 'the run measured no bench case (filtered out by -t / --project, or every spec was skipped)' })
  if (run.summary?.incomplete) failures.push({ caseKey: '(run)', reason: 'the run was interrupted (incomplete); its numbers are partial' })
  const seen = new Set<string>()
  for (const c of cases) {
    const t = { ...envT, ...(c.gate ?? {}) }
    seen.add(c.fullName)
    for (const reason of healthFailures(c, t, opts.allowClientBound ?? false)) failures.push({ caseKey: c.fullName, reason })
    if (!opts.baseline) continue
    const base = opts.baseline.cases.find((b) => b.key === c.fullName)
    if (!base) {
      warnings.push(`${c.fullName}: new case, not in baseline '${opts.baseline.name}'`)
      continue
    }
    const now = caseMetrics(run, c)
    if (now.ok === 0) continue // already a health failure; nothing to compare
    for (const def of METRICS) rows.push(compare(def, c.fullName, base, now, t))
  }
  const missing = opts.baseline ? opts.baseline.cases.filter((b) => !seen.has(b.key)).map((b) => b.key) : []
  if (missing.length)
    warnings.push(
      `${missing.length} case(s) of baseline '${opts.baseline?.name}' not measured in this run (filtered with -t/--project?): ${missing.slice(0, 3).map(shortKey).join('; ')}${missing.length > 3 ? '; …' : ''}`,
    )
  const regressions = rows.filter((r) => r.verdict === 'regressed')
  const improvements = rows.filter((r) => r.verdict === 'improved')
  for (const r of rows.filter((x) => x.verdict === 'inconclusive')) warnings.push(`${r.caseKey}: ${r.label}: ${r.note}`)
  return {
    passed: failures.length === 0 && regressions.length === 0,
    runId: run.runId,
    baseline: opts.baseline ? { path: opts.baseline.path, name: opts.baseline.name, runId: opts.baseline.runId } : null,
    thresholds: envT,
    failures,
    rows,
    regressions,
    improvements,
    warnings,
  }
}
