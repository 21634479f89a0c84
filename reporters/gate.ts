// The regression gate. Which metrics it judges, their default thresholds and whether a noise floor applies
// come from the metric registry (helpers/metrics/registry.ts); env vars override thresholds for a whole
// run, a spec's `gate` options override both for its cases (the specific beats the general).
// A metric regresses only when its change passes the threshold AND an absolute noise floor (time
// metrics) AND is significant against run-to-run noise (gate-evidence.ts): either the run-level test of
// the metric (the mean change over the run's cases, against the spread of the baseline runs) or the
// case's own test (its change beyond the run's, drift-free). Multiplicity: weighted Holm within each of
// the two families, 90% of α to the run-level tests (one per metric), 10% to the case tests (one per
// case × metric), so the chance of any false regression in the run stays under α.
// Why this shape (measured in benches/harness/gate-error-rates.bench.ts, README there): drift moves every
// case of a run together, so three baseline runs know it with 2 degrees of freedom whether the suite
// has 3 cases or 30. The per-case tests this replaces judged each case × metric against that 2-df spread
// with Holm over all of them (24 tests for 3 cases) and detected 75% of true 15–20% changes; the mean
// over the cases keeps the 2 df but cancels the cases' own sampling noise and needs one test per metric.
// Like benchstat and Perfherder, a run is summarised before it is compared; like Bencher's t-test
// threshold, the new value is judged against the baseline's spread with Student-t tails.
// Health failures (0 samples, all failed, client-bound, error rate over the ceiling, interrupted run)
// fail with or without a baseline.
import { failure, type Failure } from '../helpers/failure.ts'
import { GATE_METRICS, gateSamples, gateValue, type GateMetricDef, type GateThresholdKey } from '../helpers/metrics/registry.ts'
import { defOf } from '../env/knobs.ts'
import type { TrialStat } from '../helpers/types.ts'
import { caseKey, sameCase, shortKey } from '../core/case-key.ts'
import { fnv1a } from '../helpers/rng.ts'
import { bootstrapLogSe, holm, metricEvidence, ONE_RUN_PRIOR_DF, PRIOR_DF, studentTQuantileUpper, type RunLevelTest } from './gate-evidence.ts'
import type { BaselineCase, GateFailure, GateResult, GateRow, GateThresholds, GateVerdict, LoadedBaseline, MetricId, SampleId } from './gate-types.ts'
import { caseRequests, type RunCase, type RunData } from './run-data.ts'

export type { GateFailure, GateResult, GateRow, GateThresholds, GateVerdict, MetricId, SampleId, Verdict } from './gate-types.ts'

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
  /** What an INCONCLUSIVE verdict does (the validated BENCH_GATE_INCONCLUSIVE knob): warn = passes with a warning. */
  inconclusive?: 'warn' | 'fail'
  env?: NodeJS.ProcessEnv
}

/** Minimum current-run samples for a comparison to count. */
const MIN_SAMPLES = 3

/** Share of α spent on the run-level tests; the rest goes to the case tests (a case changing beyond its run). */
export const RUN_LEVEL_ALPHA_SHARE = 0.9

/** ln of each baseline replicate of a metric, keyed: every trial of every run where trials were kept (`run#trial`), else the run's value. */
export function baselineReplicates(b: BaselineCase, id: MetricId): Map<string, number> {
  const out = new Map<string, number>()
  for (const r of b.runs) {
    const trials = r.trials?.[id]
    if (trials && trials.length > 1) trials.forEach((v, i) => v > 0 && out.set(`${r.runId}#${i}`, Math.log(v)))
    else {
      const v = r.values[id]
      if (v !== null && v !== undefined && v > 0) out.set(r.runId, Math.log(v))
    }
  }
  return out
}

/** The run noise assumed before any baseline run measures it: log scale, ×runNoiseScale for tails. */
const priorSigma = (def: MetricDef, t: GateThresholds) => Math.log(1 + t.runNoisePct / 100) * def.runNoiseScale

/**
 * Holm weight of a metric's tests: the smallest change that matters (its threshold) in units of the noise
 * assumed for it, at least 1. A p99 of ~10 requests, with 4× the noise and a 25–30% threshold, has little
 * power at any change the threshold admits; equal weights let such tests dilute the tests that can detect.
 * From the knobs only, never from the data, so the weights cannot favour what this run happened to show.
 */
export function holmWeight(def: MetricDef, t: GateThresholds): number {
  const sigma = priorSigma(def, t)
  const w = Math.log(1 + t[def.threshold] / 100) / sigma
  return sigma > 0 && Number.isFinite(w) ? Math.max(1, w) : 1
}

interface Judged {
  def: MetricDef
  key: string
  base: BaselineCase
  now: CaseMetrics
  t: GateThresholds
  replicates: Map<string, number>
}

interface Pending {
  row: GateRow
  metric: MetricId
  run?: RunLevelTest
  own?: RunLevelTest | null
  weight: number
  alpha: number
  higherBetter: boolean
  /**
   * Whether this metric must be bounded for a PASS: the medians and tok/s. The p99s of ~10 requests, assumed 4× as
   * noisy run to run, cannot be bounded inside their 25–30% thresholds by any number of baseline runs at the default
   * noise figure (t·16% per run ≥ 27%); they fail on a significant regression but leave the verdict to the medians.
   */
  decides: boolean
  /** The change points the bad way (slower, less tok/s), past the threshold or not. */
  towardWorse: boolean
  worse: boolean
  better: boolean
  floored: boolean
  fewSamples: number
}

function pendingRow(j: Judged): Pending {
  const { def, key, base, now, t } = j
  const logs = [...j.replicates.values()]
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
  const pending = {
    row,
    metric: def.id,
    weight: holmWeight(def, t),
    alpha: t.alpha,
    higherBetter: def.higherBetter,
    decides: def.runNoiseScale === 1,
    towardWorse: false,
    worse: false,
    better: false,
    floored: false,
    fewSamples: 0,
  }
  if (changePct === null || b === null || n === null) return { ...pending, row: { ...row, note: 'no value on one side' } }
  let floored = false
  if (def.noiseFloor === 'ms') {
    const loop = Math.max(now.loopDelayP99Ms ?? 0, ...base.runs.map((r) => r.loopDelayP99Ms ?? 0))
    row.floorMs = Math.max(t.noiseFloorMs, loop)
    floored = Math.abs(n - b) < row.floorMs
  }
  return {
    ...pending,
    towardWorse: def.higherBetter === changePct < 0,
    worse: def.higherBetter ? changePct < -thresholdPct : changePct > thresholdPct,
    better: def.higherBetter ? changePct > thresholdPct : changePct < -thresholdPct,
    floored,
    fewSamples: now.samples[def.samples].length,
  }
}

/** The run-level and case tests of one metric over the cases that have a value on both sides. */
function testMetric(def: MetricDef, judged: Judged[], rows: Pending[], envT: GateThresholds): void {
  const tested = judged.map((j, i) => ({ j, p: rows[i] })).filter((x) => x.p.row.changePct !== null)
  if (!tested.length) return
  const series = tested.map(({ j }) => ({
    replicates: j.replicates,
    now: Math.log(j.now.values[def.id]!),
    withinSe: bootstrapLogSe(j.now.samples[def.samples], def.q, fnv1a(`${j.key}|${def.id}`)),
  }))
  const ev = metricEvidence(series, priorSigma(def, envT), def.higherBetter)
  tested.forEach(({ p }, i) => {
    p.run = ev.run
    p.own = ev.cases[i]
  })
}

/**
 * Weighted Holm within each family — the run-level tests (one per metric, RUN_LEVEL_ALPHA_SHARE of α) and
 * the case tests (one per case × metric, the rest) — once for "worse" and once for "better". A row's
 * adjusted p-value is the smaller of its metric's run-level one and its own case one, each divided by its
 * family's share of α (a Bonferroni split, so the run as a whole keeps its family-wise error at α).
 */
function decide(pending: Pending[]): GateRow[] {
  const tested = pending.filter((p) => p.run)
  const runTests = [...new Set(tested.map((p) => p.run!))]
  const caseTests = tested.filter((p) => p.own)
  const share = caseTests.length ? RUN_LEVEL_ALPHA_SHARE : 1
  // a metric's run-level test weighs as the mean weight of its cases (per-spec thresholds may differ)
  const runW = (run: RunLevelTest) => {
    const ws = tested.filter((p) => p.run === run).map((p) => p.weight)
    return ws.reduce((a, b) => a + b, 0) / ws.length
  }
  const families = [
    { tests: runTests, weights: runTests.map(runW), share },
    { tests: caseTests.map((p) => p.own!), weights: caseTests.map((p) => p.weight), share: 1 - share },
  ]
  const adjusted = (dir: 'pWorse' | 'pBetter') =>
    new Map(
      families.flatMap((f) => {
        const adj = holm(
          f.tests.map((x) => x[dir]),
          f.weights,
        )
        return f.tests.map((x, i) => [x, Math.min(1, adj[i] / f.share)] as const)
      }),
    )
  const adj = { pWorse: adjusted('pWorse'), pBetter: adjusted('pBetter') }
  for (const p of tested) {
    const { row } = p
    const dir = p.towardWorse ? 'pWorse' : 'pBetter'
    // the evidence that carries the row: its metric's run-level test, or its own case test if that is stronger
    const own = p.own && adj[dir].get(p.own)! < adj[dir].get(p.run!)! ? p.own : null
    const test = own ?? p.run!
    row.test = own ? 'case vs run t' : 'run-level t'
    row.pValue = test[dir]
    row.pAdjusted = adj[dir].get(test)!
    row.noisePct = (Math.exp(test.sigma) - 1) * 100
    row.df = test.df
    bound(p)
    if (!p.worse && !p.better) continue
    if (p.floored) {
      row.note = `change ${Math.abs(row.now! - row.baseline!).toFixed(2)} ms is within the noise floor ${row.floorMs!.toFixed(2)} ms`
      continue
    }
    if (p.fewSamples < MIN_SAMPLES) {
      row.verdict = 'inconclusive'
      row.note = `past the threshold but only ${p.fewSamples} current samples; raise BENCH_REQUESTS to ≥ ${MIN_SAMPLES}`
      continue
    }
    if (row.pAdjusted < p.alpha) row.verdict = p.worse ? 'regressed' : 'improved'
    else {
      // past the threshold but not significant: the evidence cannot tell a regression from noise
      if (p.worse && p.decides) row.verdict = 'inconclusive'
      row.note = `not significant against run-to-run noise (adjusted p=${row.pAdjusted.toPrecision(2)} ≥ α=${p.alpha})`
    }
  }
  for (const p of tested) {
    if (p.row.verdict !== 'unchanged' || p.row.worstPct! < p.row.decidePct!) continue
    if (p.decides) p.row.verdict = 'inconclusive'
    else p.row.note ??= `tail metric, not bounded (a change up to ${p.row.worstPct!.toFixed(0)}% worse is not excluded): fails only on a significant regression`
  }
  return pending.map((p) => p.row)
}

/** A change (log scale, signed so that positive = worse) as the % the row's threshold is written in. */
const worsePct = (logWorse: number, higherBetter: boolean) => (higherBetter ? (1 - Math.exp(-logWorse)) * 100 : (Math.exp(logWorse) - 1) * 100)

/** Largest number of baseline replicates `runsToDecide` looks at; beyond it more runs are not the answer. */
const MAX_RUNS_TO_DECIDE = 50

/**
 * The worst change the metric's run-level evidence admits: the one-sided 1 − α bound of its mean change in the bad
 * direction (Student t with the test's df and noise), against the threshold (or the noise floor where a floor in ms
 * is the larger, since a change under it can never regress). A row whose bound reaches the threshold cannot tell
 * "unchanged" from "regressed past the threshold": INCONCLUSIVE, with the baseline runs that would about decide it
 * (same noise and change, df and √(1 + 1/n) of n runs), or null when the change itself sits too near the threshold.
 * Per metric at α, not family-wise: PASS claims that each metric is inside its threshold with 1 − α confidence.
 */
function bound(p: Pending): void {
  const { row } = p
  const test = p.run!
  const hb = p.higherBetter
  const dWorse = hb ? -test.d : test.d
  const floorPct = row.floorMs !== undefined && row.baseline ? (row.floorMs / row.baseline) * 100 : 0
  row.decidePct = Math.max(row.thresholdPct, floorPct)
  row.worstPct = worsePct(dWorse + studentTQuantileUpper(p.alpha, test.df) * test.se, hb)
  if (row.worstPct < row.decidePct) return
  const n = row.baselineRuns
  row.runsToDecide = null
  for (let m = n + 1; m <= MAX_RUNS_TO_DECIDE; m++) {
    const df = test.df + (m - n) + (n === 1 ? PRIOR_DF - ONE_RUN_PRIOR_DF : 0)
    if (worsePct(dWorse + studentTQuantileUpper(p.alpha, df) * test.sigma * Math.sqrt(1 + 1 / m), hb) < row.decidePct) {
      row.runsToDecide = m
      break
    }
  }
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
  const judged = new Map<MetricDef, Judged[]>(METRICS.map((def) => [def, []]))
  const seen = new Set<string>()
  for (const c of cases) {
    const t = { ...envT, ...(c.gate ?? {}) }
    const key = caseKey(c)
    seen.add(key)
    for (const f of healthFailures(c, t, opts.allowClientBound ?? false)) failures.push({ caseKey: key, ...f })
    if (!base) continue
    const b = base.cases.find((x) => sameCase(x.key, key))
    if (!b) {
      warnings.push(`${shortKey(key)}: new case, not in baseline '${base.name}'`)
      continue
    }
    const now = caseMetrics(run, c)
    if (now.ok === 0) continue // already a health failure; nothing to compare
    for (const def of METRICS) judged.get(def)!.push({ def, key, base: b, now, t, replicates: baselineReplicates(b, def.id) })
  }
  // rows in case order, metrics within a case
  const perMetric = new Map([...judged].map(([def, js]) => [def, js.map(pendingRow)]))
  for (const [def, js] of judged) testMetric(def, js, perMetric.get(def)!, envT)
  const order = new Map(cases.map((c, i) => [caseKey(c), i]))
  const pending = [...perMetric.values()]
    .flat()
    .sort(
      (x, y) =>
        order.get(x.row.caseKey)! - order.get(y.row.caseKey)! || METRICS.findIndex((d) => d.id === x.metric) - METRICS.findIndex((d) => d.id === y.metric),
    )
  const rows = decide(pending)
  const missing = base ? base.cases.filter((b) => ![...seen].some((k) => sameCase(b.key, k))).map((b) => b.key) : []
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
  const inconclusive = rows.filter((r) => r.verdict === 'inconclusive')
  const verdict: GateVerdict = failures.length || regressions.length ? 'FAIL' : inconclusive.length ? 'INCONCLUSIVE' : 'PASS'
  if (inconclusive.length) warnings.push(inconclusiveSummary(inconclusive))
  const strict = opts.inconclusive === 'fail'
  return {
    verdict,
    passed: verdict === 'PASS' || (verdict === 'INCONCLUSIVE' && !strict),
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
    inconclusive,
    warnings,
  }
}

/** One sentence for the inconclusive rows, per metric: the worst change admitted, and what would decide it. */
export function inconclusiveSummary(rows: readonly GateRow[]): string {
  const byMetric = new Map<string, GateRow[]>()
  for (const r of rows) byMetric.set(r.label, [...(byMetric.get(r.label) ?? []), r])
  const parts = [...byMetric].map(([label, rs]) => {
    const threshold = Math.max(...rs.map((r) => r.decidePct ?? r.thresholdPct))
    // a case measured past its threshold but not significantly: say what was measured (its metric's run-level bound
    // can be smaller than the case's own change)
    const past = rs.filter((r) => r.changePct !== null && Math.abs(r.changePct) >= (r.decidePct ?? r.thresholdPct))
    const need = rs.map((r) => r.runsToDecide)
    const runs = need.some((n) => n === null || n === undefined)
      ? 'more baseline runs alone will not decide it'
      : `about ${Math.max(...(need as number[]))} baseline runs would decide it`
    const what = past.length
      ? `measured up to ${Math.max(...past.map((r) => Math.abs(r.changePct!))).toFixed(1)}% worse, not significant against run-to-run noise`
      : `a change up to ${Math.max(...rs.map((r) => r.worstPct ?? r.changePct ?? 0)).toFixed(1)}% worse is not excluded`
    return `${label} (${rs.length} case(s): ${what}, threshold ${threshold.toFixed(0)}%; ${runs})`
  })
  return `INCONCLUSIVE: the evidence cannot exclude a change past the threshold for ${parts.join('; ')}. Save more baseline runs (\`fuze-bench baseline save --last K\`, or BENCH_BASELINE=<results folder> with BENCH_BASELINE_RUNS=K), raise BENCH_REQUESTS, or compare old and new in one job with \`fuze-bench ab\`. BENCH_GATE_INCONCLUSIVE=fail makes this fail the run.`
}
