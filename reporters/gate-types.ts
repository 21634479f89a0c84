// The regression gate's data — metric ids, thresholds, baselines (several runs per case), rows and the
// verdict — in a leaf module, so the gate, the baseline reader/writer, the run loader and every output
// share them without importing one another (no import cycles).
import type { Failure } from '../helpers/failure.ts'
import type { GateMetricId, GateSampleId, GateThresholdKey } from '../helpers/metrics/registry.ts'

/** Per-metric thresholds (keys from the metric registry) plus the case-health ceiling and the evidence settings. */
export interface GateThresholds extends Record<GateThresholdKey, number> {
  errorRateMaxPct: number
  /** Family-wise significance level of the run's regression tests (Holm). */
  alpha: number
  /** Changes of time metrics smaller than this (ms) are never regressions (the client's loop-delay p99 raises it). */
  noiseFloorMs: number
  /** Assumed run-to-run noise (%, one standard deviation) of median metrics before baseline runs measure it; p99 gets 4×. */
  runNoisePct: number
}

/** Gate metric ids and sample sets: one per gated stat of a metric registry descriptor. */
export type MetricId = GateMetricId
export type SampleId = GateSampleId

export const BASELINE_FORMAT = 'fuze-bench-baseline/2'
export const BASELINE_FORMAT_V1 = 'fuze-bench-baseline/1'

/** One run's numbers of one case, as a baseline keeps them. */
export interface BaselineRun {
  runId: string
  values: Record<MetricId, number | null>
  /** Per-trial values (BENCH_TRIALS > 1) of the metrics trials report: replicates within the run. */
  trials?: Partial<Record<MetricId, number[]>>
  counts: { requests: number; ok: number; failed: number }
  /** The client's event-loop delay p99 in that run (ms): part of its time-metric noise floor. */
  loopDelayP99Ms?: number
}

export interface BaselineCase {
  /** The case's vitest full name; how a run's case finds its baseline. */
  key: string
  stack: string
  model: string
  variantLabel: string
  modelTag: string
  numGpu: string
  gpuLabel: string
  /** Oldest first. */
  runs: BaselineRun[]
}

export interface Baseline {
  format: typeof BASELINE_FORMAT
  name: string
  createdAt: string
  host: string
  /** Every run the baseline was made from, oldest first. */
  runIds: string[]
  cases: BaselineCase[]
}

/** A baseline as loaded: where it came from (file, run folder, summary.json or results history). */
export type LoadedBaseline = Baseline & { path: string }

export type Verdict = 'regressed' | 'improved' | 'unchanged' | 'inconclusive'

/**
 * The run's three-way answer: PASS (every gated metric confidently inside its threshold, no health failure),
 * FAIL (a health failure, or a metric confidently past its threshold), INCONCLUSIVE (the evidence cannot
 * exclude a change past some threshold: "I cannot tell", never a silent PASS).
 */
export type GateVerdict = 'PASS' | 'FAIL' | 'INCONCLUSIVE'

export interface GateRow {
  caseKey: string
  stack: string
  model: string
  metric: MetricId
  label: string
  /** Geometric mean over the baseline's runs (and trials). */
  baseline: number | null
  now: number | null
  /** (now − baseline) / baseline in percent. */
  changePct: number | null
  thresholdPct: number
  /** The evidence that carried the row: its metric's run-level test (the mean change over the run's cases), or its own case's change beyond it. */
  test: 'run-level t' | 'case vs run t'
  /** Baseline replicates (runs × trials) behind `baseline`. */
  baselineRuns: number
  /** One-sided p-value of the change in its direction, and after Holm's adjustment over the run's tests. */
  pValue?: number
  pAdjusted?: number
  /** Run-to-run noise used (%, 1 sd) and the t distribution's degrees of freedom. */
  noisePct?: number
  df?: number
  /** Absolute floor (ms) the change had to pass, for time metrics. */
  floorMs?: number
  verdict: Verdict
  /**
   * The worst change the evidence admits (%, one-sided 1 − α bound of the metric's run-level change, in the bad
   * direction: a rise for times, a drop for tok/s, so positive = worse). Below `decidePct` the row is decided.
   */
  worstPct?: number
  /** The threshold the bound must stay under: the row's threshold, or its noise floor in % where that is larger. */
  decidePct?: number
  /** Inconclusive rows: baseline runs (replicates) in all that would about decide it at the noise measured; null = more runs alone will not. */
  runsToDecide?: number | null
  note?: string
}

export interface GateFailure extends Failure {
  caseKey: string
}

export interface GateResult {
  /** PASS, FAIL or INCONCLUSIVE (see GateVerdict). */
  verdict: GateVerdict
  /** The run's exit status: false on FAIL, and on INCONCLUSIVE when BENCH_GATE_INCONCLUSIVE=fail. */
  passed: boolean
  runId: string
  baseline: {
    path: string
    name: string
    runId: string
    runIds: string[]
  } | null
  thresholds: GateThresholds
  failures: GateFailure[]
  rows: GateRow[]
  regressions: GateRow[]
  improvements: GateRow[]
  /** Rows whose evidence cannot exclude a change past their threshold. */
  inconclusive: GateRow[]
  warnings: string[]
}
