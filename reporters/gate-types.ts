// The shapes the gate compares — metric ids, thresholds, the baseline file — in a leaf module, so the gate,
// the baseline reader/writer and the run loader share them without importing one another.
export type MetricId = 'tokps' | 'ttft_p50' | 'ttft_p99' | 'tpot_p50' | 'tpot_p99' | 'e2e_p50' | 'e2e_p99'
export type SampleId = 'tokps' | 'ttftMs' | 'tpotMs' | 'e2eMs'

export interface GateThresholds {
  tokpsDropPct: number
  ttftP50RisePct: number
  ttftP99RisePct: number
  tpotP50RisePct: number
  tpotP99RisePct: number
  e2eP50RisePct: number
  e2eP99RisePct: number
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
