// The shapes the gate compares — metric ids, thresholds, the baseline file — in a leaf module, so the gate,
// the baseline reader/writer and the run loader share them without importing one another.
import type { GateMetricId, GateSampleId, GateThresholdKey } from '../helpers/metrics/registry.ts'

/** Gate metric ids and sample sets: one per gated stat of a metric registry descriptor. */
export type MetricId = GateMetricId
export type SampleId = GateSampleId

/** Per-metric thresholds (keys from the metric registry) plus the case-health ceiling and the tests' significance level. */
export interface GateThresholds extends Record<GateThresholdKey, number> {
  errorRateMaxPct: number
  /** Significance level of the tests. */
  alpha: number
}

export const BASELINE_FORMAT = 'fuze-bench-baseline/1'

export interface BaselineCase {
  /** The case's vitest full name; how a run's case finds its baseline. */
  key: string
  stack: string
  model: string
  variantLabel: string
  modelTag: string
  numGpu: string
  gpuLabel: string
  values: Record<MetricId, number | null>
  samples: Record<SampleId, number[]>
  counts: { requests: number; ok: number; failed: number }
}

export interface Baseline {
  format: typeof BASELINE_FORMAT
  name: string
  createdAt: string
  runId: string
  host: string
  cases: BaselineCase[]
}
