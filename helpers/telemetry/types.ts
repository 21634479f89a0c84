// Shapes of per-case telemetry (a leaf module: stacks, the case runner and the reporters all import it).

/** What the report charts from a server's metrics, by meaning; each stack names its own metrics for these. */
export type MetricRole = 'running' | 'waiting' | 'kvCache' | 'generatedTokens' | 'promptTokens'

export const METRIC_ROLES: readonly MetricRole[] = ['running', 'waiting', 'kvCache', 'generatedTokens', 'promptTokens']

/** Counters are charted as rates (per second); gauges as they are. */
export const COUNTER_ROLES: ReadonlySet<MetricRole> = new Set(['generatedTokens', 'promptTokens'])

/** A stack's Prometheus endpoint: where it is and which of its metric names fill each role (first one exposed wins). */
export interface PromEndpointDef {
  /** Metric names per role, in order of preference (servers renamed some across versions). */
  roles: Partial<Record<MetricRole, readonly string[]>>
}

/** Where a started server's metrics are sampled, or why it has none (said once, kept in the case's telemetry). */
export type MetricsEndpoint = { url: string; def: PromEndpointDef } | { none: string }

export interface GpuTelemetry {
  index: number
  meanW: number | null
  peakW: number | null
  energyJ: number | null
  utilMeanPct: number | null
  memPeakMib: number | null
}

/** Server metrics of one case: where they came from and the file with every sample, or why there are none. */
export type ServerMetricsInfo =
  | {
      url: string
      samples: number
      /** Run-folder relative path of the JSON-lines file (one scrape per line, original metric names). */
      file: string
      /** The metric name that filled each role in this run. */
      roles: Partial<Record<MetricRole, string>>
    }
  | { none: string }

/**
 * Telemetry of one case. Figures that could not be measured are null (shown as n/a), never 0. Energy, power and
 * CPU time cover the measured phase (first measured request sent → last one ended: the case's wallMs).
 */
export interface CaseTelemetry {
  /** Epoch ms of the case's time zero (the requests' tStartMs count from it): places the sample files on the timeline. */
  t0EpochMs: number
  /** Measured window in ms since t0. */
  window: { startMs: number; endMs: number }
  intervalMs: number
  server: ServerMetricsInfo
  /** The server's generated-token counter against the server-reported counts the client received. */
  reconciliation?: { counter: string; serverDelta: number; clientSeen: number; match: boolean }
  /** Where energy and power came from: the GPUs (nvidia-smi), the CPU package (RAPL), or nothing. */
  powerSource: 'nvidia-smi' | 'rapl' | null
  meanW: number | null
  peakW: number | null
  energyJ: number | null
  jPerOutputToken: number | null
  gpuUtilMeanPct: number | null
  gpuMemPeakMib: number | null
  gpus?: GpuTelemetry[]
  /** Run-folder relative path of the raw readings (gpu.csv), when there were GPUs. */
  gpuFile?: string
  /** CPU seconds of the server process over the window (when we started it). */
  cpuSeconds: number | null
  /** BENCH_COST_PER_HOUR, when set. */
  costPerHour: number | null
  usdPer1MOutputTokens: number | null
  /** Why a figure is n/a, in words. */
  notes: string[]
}

/** The case-hook section telemetry attaches to each case summary (`summary.sections.telemetry`). */
export const TELEMETRY_SECTION = 'telemetry'

/** A case summary's telemetry, if it has one (summary.json written by a run with telemetry). */
export function telemetryOf(summary: { sections?: Record<string, unknown> }): CaseTelemetry | undefined {
  const t = summary.sections?.[TELEMETRY_SECTION]
  return t !== null && typeof t === 'object' && 't0EpochMs' in t ? (t as CaseTelemetry) : undefined
}
