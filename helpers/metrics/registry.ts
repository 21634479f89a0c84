// The metric registry: one descriptor per metric. Case summaries (case.ts), summary.json field names and
// types (CaseSummary extends MetricValues), summary.csv, the console and run tables, report.html's table,
// the regression gate (its metric ids, samples, thresholds and their BENCH_GATE_* knobs) and the README
// knob table all loop over METRICS, so a metric has one definition and one set of names.
// Leaf module: it imports only the record types, never a reporter or the knob schema.
//
// Two kinds, as in AIPerf's record vs aggregate metrics:
//   'dist'   values per request (TTFT, ITL…) → a Dist (n, mean, std, min, max, p50, p90, p95, p99).
//            `take(r)` gives one value, several (ITL: one per token) or null (not measured for r);
//            `of` says which measured requests feed it ('ok' for latencies, 'measured' for queue time).
//   'scalar' one number per case (tok/s, throughput…), computed by `take(c)` from CaseInputs: counts,
//            the measured wall time, the case's dists and `c.sum`, the sum of this metric's per-request
//            `sum(r)` over the ok measured requests. Everything is a count, a sum, a min/max or a Dist,
//            so a streaming accumulator can build the same inputs without keeping records (metricValues).
//
// Names, from the descriptor (never written again elsewhere):
//   summary.json field = `json`; summary.csv columns = `csv` (scalars) or `<csv>_<stat>` (dists);
//   table headers = `<label> <stat>` (dists) or `label`; gate metric id = `<id>_<stat>` (dists) or `id`;
//   gate threshold key = camelCase(gate id) + DropPct|RisePct (higher|lower is better);
//   gate knob = BENCH_GATE_<GATE ID>_DROP_PCT|_RISE_PCT; gate samples = `json` (dists) or `id` (scalars).
//
// Adding a metric: append one descriptor to METRICS (dists before scalars: the order is the column order
// of summary.csv, tables and the gate; appending keeps older columns where they are), and add its test to
// test/metrics/registry.test.ts (known records → the known value). If it has a `gate`, its knob appears
// in the schema by itself. Regenerate README.md's metric and knob tables: `npx tsx env/knob-table.ts --write`.
// A scalar that needs an input records cannot give (energy, price) adds that input to CaseInputs and
// fills it where case summaries are built (case.ts and the runner's accumulators).
import type { Dist, RequestRecord } from '../record-types.ts'
import type { CaseTelemetry } from '../telemetry/types.ts'

export const STATS = ['n', 'mean', 'std', 'min', 'max', 'p50', 'p90', 'p95', 'p99'] as const satisfies ReadonlyArray<keyof Dist>
export type Stat = (typeof STATS)[number]
/** Gated percentiles: p50 is judged by Mann-Whitney on the samples, p99 by a bootstrap CI. */
export type GateStat = 'p50' | 'p99'

interface Common {
  /** Stable id (snake_case): gate ids, threshold keys and knob names are built from it. */
  id: string
  /** Short name in tables and gate rows ('TTFT'). */
  label: string
  /** How sentences (knob descriptions) call it; default: label. */
  prose?: string
  unit: 'ms' | 'tok/s' | 'req/s' | 'tokens' | 'requests' | 'W' | 'J' | 'J/tok' | '$/1M tok' | '%' | 'MiB' | 's'
  /** CaseSummary / summary.json field. */
  json: string
  /** summary.csv column (scalar) or column prefix (dist). */
  csv: string
  /** Decimals in summary.csv (default 3); `csvFixed` keeps trailing zeros (the CSV16 tok/s style). */
  csvDigits?: number
  csvFixed?: boolean
  /** Decimals in tables. */
  digits: number
  /** Which way is better; null for bookkeeping numbers (token totals) nobody gates. */
  better: 'higher' | 'lower' | null
  /** One line: what it is and how it is measured. */
  definition: string
}

export interface DistMetric extends Common {
  kind: 'dist'
  of: 'ok' | 'measured'
  take: (r: RequestRecord) => number | null | readonly number[]
  /** Stats the console/run/HTML tables show. */
  table?: readonly Stat[]
  /** Default gate threshold in % per gated stat. */
  gate?: Partial<Record<GateStat, number>>
}

export interface CaseInputs {
  /** Measured requests, and those of them that finished ok. */
  requests: number
  ok: number
  /** First send → last end over the measured requests (ms). */
  wallMs: number
  /** Σ sum(r) of this metric over the ok measured requests (0 when it has no `sum`). */
  sum: number
  /** The case's dists, by `json` field. */
  dists: Readonly<Record<string, Dist>>
  /** The case's telemetry (helpers/telemetry), once its end hook has it; absent while the summary is first built. */
  telemetry?: CaseTelemetry
}

export interface ScalarMetric extends Common {
  kind: 'scalar'
  sum?: (r: RequestRecord) => number
  take: (c: CaseInputs) => number | null
  /** Where the value came from, written beside it (json field and csv column). */
  source?: { json: string; csv: string; take: (c: CaseInputs) => string }
  /** The headline metric leads summary.csv and every table (the CSV16 tok/s). */
  headline?: boolean
  table?: boolean
  /**
   * Filled when the case's telemetry is in (helpers/telemetry/hooks.ts, after the summary is built): null until then,
   * and null (summary.csv 'n/a') when it could not be measured — never a made-up 0.
   */
  telemetry?: true
  /** Gate on the case value, tested on per-request samples; `label` names the gate row. */
  gate?: { pct: number; label: string; samples: (r: RequestRecord, c: { source: string | null }) => number | null }
}

export type MetricDescriptor = DistMetric | ScalarMetric

const distOf = (c: CaseInputs, json: string): Dist | undefined => c.dists[json]

/** The CSV16 tok/s: the server's decode rate when every ok request reported one, else the client's. */
function decodeRate(c: CaseInputs): { value: number | null; source: 'server' | 'client' | 'none' } {
  const server = distOf(c, 'decodeTokPerSecServer')
  if (c.ok > 0 && server && server.n === c.ok) return { value: server.p50, source: 'server' }
  const client = distOf(c, 'decodeTokPerSecClient')?.p50 ?? null
  return client === null ? { value: null, source: 'none' } : { value: client, source: 'client' }
}

const perSec = (count: number, ms: number) => (ms > 0 ? (count * 1000) / ms : 0)

export const METRICS = [
  {
    kind: 'dist',
    id: 'ttft',
    label: 'TTFT',
    unit: 'ms',
    json: 'ttftMs',
    csv: 'ttft_ms',
    digits: 1,
    better: 'lower',
    of: 'ok',
    take: (r) => r.ttftMs,
    table: ['p50', 'p99'],
    gate: { p50: 15, p99: 30 },
    definition: 'Time to first token: request sent → first chunk carrying generated output (text, token ids or reasoning).',
  },
  {
    kind: 'dist',
    id: 'ttfot',
    label: 'TTFOT',
    unit: 'ms',
    json: 'ttfotMs',
    csv: 'ttfot_ms',
    digits: 1,
    better: 'lower',
    of: 'ok',
    take: (r) => r.ttfotMs,
    definition: 'Time to first output token: like TTFT but the first non-reasoning output (equals TTFT without reasoning).',
  },
  {
    kind: 'dist',
    id: 'itl',
    label: 'ITL',
    unit: 'ms',
    json: 'itlMs',
    csv: 'itl_ms',
    digits: 2,
    better: 'lower',
    of: 'ok',
    take: (r) => r.itlMs,
    table: ['p50'],
    definition: 'Inter-token latency per token: each gap between output chunks spread over the tokens of the later chunk.',
  },
  {
    kind: 'dist',
    id: 'tpot',
    label: 'TPOT',
    unit: 'ms',
    json: 'tpotMs',
    csv: 'tpot_ms',
    digits: 2,
    better: 'lower',
    of: 'ok',
    take: (r) => r.tpotMs,
    table: ['p50', 'p99'],
    gate: { p50: 10, p99: 25 },
    definition: 'Time per output token after the first: (E2E − TTFT) / (output tokens − 1).',
  },
  {
    kind: 'dist',
    id: 'e2e',
    label: 'E2E',
    prose: 'end-to-end',
    unit: 'ms',
    json: 'e2eMs',
    csv: 'e2e_ms',
    digits: 1,
    better: 'lower',
    of: 'ok',
    take: (r) => r.e2eMs,
    table: ['p50', 'p99'],
    gate: { p50: 10, p99: 25 },
    definition: 'End-to-end latency: request sent → stream end.',
  },
  {
    kind: 'dist',
    id: 'queue',
    label: 'queue',
    unit: 'ms',
    json: 'queueMs',
    csv: 'queue_ms',
    digits: 1,
    better: 'lower',
    of: 'measured',
    take: (r) => r.queueMs,
    definition: 'Time a request waited in the client (concurrency cap, dispatch lag) before it was sent; failed requests count too.',
  },
  {
    kind: 'dist',
    id: 'ttft_from_arrival',
    label: 'TTFT from arrival',
    unit: 'ms',
    json: 'ttftFromArrivalMs',
    csv: 'ttft_from_arrival_ms',
    digits: 1,
    better: 'lower',
    of: 'ok',
    take: (r) => (r.ttftMs === null ? null : r.queueMs + r.ttftMs),
    definition:
      "TTFT from the request's scheduled arrival: queue + TTFT, so a backlog in the client (a rate with a max-in-flight cap) is in the number, as its user saw it; open loops' SLOs judge it (closed loops: TTFT plus dispatch lag).",
  },
  {
    kind: 'dist',
    id: 'e2e_from_arrival',
    label: 'E2E from arrival',
    prose: 'end-to-end from arrival',
    unit: 'ms',
    json: 'e2eFromArrivalMs',
    csv: 'e2e_from_arrival_ms',
    digits: 1,
    better: 'lower',
    of: 'ok',
    take: (r) => (r.e2eMs === null ? null : r.queueMs + r.e2eMs),
    definition: "End-to-end latency from the request's scheduled arrival: queue + E2E (open loops' SLOs judge it).",
  },
  {
    kind: 'dist',
    id: 'decode_client',
    label: 'decode tok/s (client)',
    unit: 'tok/s',
    json: 'decodeTokPerSecClient',
    csv: 'decode_tps_client',
    digits: 2,
    better: 'higher',
    of: 'ok',
    take: (r) => r.decodeTokPerSecClient,
    definition: 'Decode rate seen by the client: (output tokens − 1) / (last output chunk − first output chunk).',
  },
  {
    kind: 'dist',
    id: 'decode_server',
    label: 'decode tok/s (server)',
    unit: 'tok/s',
    json: 'decodeTokPerSecServer',
    csv: 'decode_tps_server',
    digits: 2,
    better: 'higher',
    of: 'ok',
    take: (r) => r.decodeTokPerSecServer,
    definition: 'Decode rate the server reports (llama.cpp timings.predicted_per_second, Ollama eval_count / eval_duration).',
  },
  {
    kind: 'dist',
    id: 'prefill',
    label: 'Prefill',
    prose: 'prefill tok/s',
    unit: 'tok/s',
    json: 'prefillTokPerSec',
    csv: 'prefill_tps',
    digits: 1,
    better: 'higher',
    of: 'ok',
    table: ['p50'],
    gate: { p50: 15 },
    take: (r) => (r.promptTokensServer !== null && r.ttftMs !== null && r.ttftMs > 0 ? (r.promptTokensServer * 1000) / r.ttftMs : null),
    definition: "Prefill tokens/s per request: the server's prompt token count ÷ TTFT (so it includes network and server-side queueing).",
  },
  {
    kind: 'scalar',
    id: 'tokps',
    label: 'tok/s',
    prose: 'median tok/s',
    unit: 'tok/s',
    json: 'tokensPerSec',
    csv: 'tokens_per_sec',
    csvDigits: 2,
    csvFixed: true,
    digits: 2,
    better: 'higher',
    headline: true,
    table: true,
    take: (c) => decodeRate(c).value ?? 0,
    source: { json: 'tokensPerSecSource', csv: 'tokens_per_sec_source', take: (c) => decodeRate(c).source },
    gate: { pct: 10, label: 'tok/s (median)', samples: (r, c) => (c.source === 'server' ? r.decodeTokPerSecServer : r.decodeTokPerSecClient) },
    definition: "Median decode tok/s (the bench.csv value): the server's rate when every ok request reported one, else the client's.",
  },
  {
    kind: 'scalar',
    id: 'output_tokens_server',
    label: 'output tokens (server)',
    unit: 'tokens',
    json: 'outputTokensServerTotal',
    csv: 'output_tokens_server_total',
    digits: 0,
    better: null,
    sum: (r) => r.outputTokensServer ?? 0,
    take: (c) => c.sum,
    definition: 'Output tokens of the ok requests as the server counted them (usage, eval_count, timings).',
  },
  {
    kind: 'scalar',
    id: 'output_tokens_client',
    label: 'output tokens (client)',
    unit: 'tokens',
    json: 'outputTokensClientTotal',
    csv: 'output_tokens_client_total',
    digits: 0,
    better: null,
    sum: (r) => r.outputTokensClient,
    take: (c) => c.sum,
    definition: 'Output tokens of the ok requests as the client counted them on the wire.',
  },
  {
    kind: 'scalar',
    id: 'token_count_mismatches',
    label: 'token count mismatches',
    unit: 'requests',
    json: 'tokenCountMismatches',
    csv: 'token_count_mismatches',
    digits: 0,
    better: 'lower',
    sum: (r) => (r.tokenCountMismatch ? 1 : 0),
    take: (c) => c.sum,
    definition: "Ok requests whose server and client output token counts differ (the server's is used).",
  },
  {
    kind: 'scalar',
    id: 'wall',
    label: 'wall',
    unit: 'ms',
    json: 'wallMs',
    csv: 'wall_ms',
    csvDigits: 1,
    digits: 0,
    better: null,
    take: (c) => c.wallMs,
    definition: 'Wall time of the measured phase: first request sent → last request ended.',
  },
  {
    kind: 'scalar',
    id: 'request_throughput',
    label: 'req/s',
    unit: 'req/s',
    json: 'requestThroughput',
    csv: 'request_throughput',
    digits: 2,
    better: 'higher',
    take: (c) => perSec(c.ok, c.wallMs),
    // in the tables: a load case's per-request decode tok/s alone reads like a regression (issue 14)
    table: true,
    definition: 'Ok requests per second of measured wall time.',
  },
  {
    kind: 'scalar',
    id: 'output_token_throughput',
    label: 'output tok/s',
    unit: 'tok/s',
    json: 'outputTokenThroughput',
    csv: 'output_token_throughput',
    digits: 2,
    better: 'higher',
    sum: (r) => r.outputTokens,
    take: (c) => perSec(c.sum, c.wallMs),
    table: true,
    definition: 'Output tokens of the ok requests per second of measured wall time (all streams together).',
  },
  {
    kind: 'scalar',
    id: 'energy_per_token',
    label: 'J/tok',
    unit: 'J/tok',
    json: 'jPerOutputToken',
    csv: 'j_per_output_token',
    csvDigits: 4,
    digits: 3,
    better: 'lower',
    telemetry: true,
    take: (c) => c.telemetry?.jPerOutputToken ?? null,
    source: { json: 'powerSource', csv: 'power_source', take: (c) => c.telemetry?.powerSource ?? 'n/a' },
    definition:
      "Energy per output token: the GPUs' (nvidia-smi power.draw) or CPU package's (RAPL) energy over the measured phase / output tokens of the ok requests.",
  },
  {
    kind: 'scalar',
    id: 'energy',
    label: 'energy J',
    unit: 'J',
    json: 'energyJ',
    csv: 'energy_j',
    csvDigits: 2,
    digits: 1,
    better: null,
    telemetry: true,
    take: (c) => c.telemetry?.energyJ ?? null,
    definition: "Energy over the measured phase: power readings held until the next one, integrated over the wall time, summed over the case's GPUs.",
  },
  {
    kind: 'scalar',
    id: 'power_mean',
    label: 'mean W',
    unit: 'W',
    json: 'powerMeanW',
    csv: 'power_mean_w',
    csvDigits: 2,
    digits: 1,
    better: null,
    telemetry: true,
    take: (c) => c.telemetry?.meanW ?? null,
    definition: "Mean power over the measured phase (energy / wall time), all of the case's GPUs together.",
  },
  {
    kind: 'scalar',
    id: 'power_peak',
    label: 'peak W',
    unit: 'W',
    json: 'powerPeakW',
    csv: 'power_peak_w',
    csvDigits: 2,
    digits: 1,
    better: null,
    telemetry: true,
    take: (c) => c.telemetry?.peakW ?? null,
    definition: "Highest power reading of the measured phase (per nvidia-smi interval, summed over the case's GPUs).",
  },
  {
    kind: 'scalar',
    id: 'gpu_util_mean',
    label: 'GPU util %',
    unit: '%',
    json: 'gpuUtilMeanPct',
    csv: 'gpu_util_mean_pct',
    csvDigits: 1,
    digits: 0,
    better: null,
    telemetry: true,
    take: (c) => c.telemetry?.gpuUtilMeanPct ?? null,
    definition: "Mean utilization.gpu of the case's GPUs over the measured phase.",
  },
  {
    kind: 'scalar',
    id: 'gpu_mem_peak',
    label: 'GPU mem peak MiB',
    unit: 'MiB',
    json: 'gpuMemPeakMib',
    csv: 'gpu_mem_peak_mib',
    csvDigits: 0,
    digits: 0,
    better: null,
    telemetry: true,
    take: (c) => c.telemetry?.gpuMemPeakMib ?? null,
    definition: "Highest memory.used of the measured phase, summed over the case's GPUs.",
  },
  {
    kind: 'scalar',
    id: 'server_cpu',
    label: 'server CPU s',
    unit: 's',
    json: 'serverCpuSeconds',
    csv: 'server_cpu_seconds',
    csvDigits: 3,
    digits: 2,
    better: null,
    telemetry: true,
    take: (c) => c.telemetry?.cpuSeconds ?? null,
    definition: 'CPU time (user + system) the server process used during the measured phase (/proc/<pid>/stat; servers fuze-bench started).',
  },
  {
    kind: 'scalar',
    id: 'cost_per_1m_tokens',
    label: '$/1M tok',
    unit: '$/1M tok',
    json: 'usdPer1MOutputTokens',
    csv: 'usd_per_1m_output_tokens',
    csvDigits: 4,
    digits: 3,
    better: 'lower',
    telemetry: true,
    take: (c) => c.telemetry?.usdPer1MOutputTokens ?? null,
    definition: 'BENCH_COST_PER_HOUR × measured wall time / output tokens of the ok requests, per 1M tokens.',
  },
] as const satisfies readonly MetricDescriptor[]

type Metric = (typeof METRICS)[number]
type DistM = Extract<Metric, { kind: 'dist' }>
type ScalarM = Extract<Metric, { kind: 'scalar' }>
type SourcedM = Extract<ScalarM, { source: object }>

/** The metric fields of a CaseSummary (summary.json), derived from METRICS. */
export type MetricValues = { [M in DistM as M['json']]: Dist } & { [M in ScalarM as M['json']]: ReturnType<M['take']> } & {
  [M in SourcedM as M['source']['json']]: ReturnType<M['source']['take']>
}

export const DIST_METRICS: readonly DistMetric[] = METRICS.filter((m): m is DistM => m.kind === 'dist')
export const SCALAR_METRICS: readonly ScalarMetric[] = METRICS.filter((m): m is ScalarM => m.kind === 'scalar')
/** Scalars in their display order: the headline first. */
const HEADLINE_FIRST: readonly ScalarMetric[] = [...SCALAR_METRICS.filter((m) => m.headline), ...SCALAR_METRICS.filter((m) => !m.headline)]

/** Whether r feeds metric m (measured phase; ok only unless the metric counts failed requests too). */
export function feeds(m: DistMetric, r: RequestRecord): boolean {
  return r.phase === 'run' && (m.of === 'measured' || r.outcome === 'ok')
}

/** The finite values r gives to m (none, one, or several). */
export function valuesOf(m: DistMetric, r: RequestRecord): number[] {
  const v = m.take(r)
  if (v === null) return []
  if (typeof v === 'number') return Number.isFinite(v) ? [v] : []
  return v.filter((x) => Number.isFinite(x))
}

export interface CaseTotals {
  requests: number
  ok: number
  wallMs: number
  /** Σ sum(r) over ok measured requests, by scalar `json` field. */
  sums: Readonly<Record<string, number>>
}

/**
 * The metric fields of a case summary from its dists and totals: what summarizeCase does with records and a
 * streaming accumulator does with sketches. Key order: dists, then scalars (each followed by its source).
 */
export function metricValues(dists: Readonly<Record<string, Dist>>, totals: CaseTotals): MetricValues {
  const out: Record<string, unknown> = {}
  for (const m of DIST_METRICS) out[m.json] = dists[m.json]
  for (const m of SCALAR_METRICS) {
    const c: CaseInputs = { requests: totals.requests, ok: totals.ok, wallMs: totals.wallMs, sum: totals.sums[m.json] ?? 0, dists }
    out[m.json] = m.take(c)
    if (m.source) out[m.source.json] = m.source.take(c)
  }
  return out as MetricValues
}

/** The telemetry scalars of a case, once its telemetry is in (the end hook writes them into the summary). */
export function telemetryValues(c: CaseInputs): Record<string, number | string | null> {
  const out: Record<string, number | string | null> = {}
  for (const m of SCALAR_METRICS) {
    if (!m.telemetry) continue
    out[m.json] = m.take(c)
    if (m.source) out[m.source.json] = m.source.take(c)
  }
  return out
}

/** A metric's value in a summary (null when absent, e.g. a summary.json written before the metric existed). */
export function valueIn(s: object, m: MetricDescriptor, stat?: Stat): number | null {
  const v = (s as Record<string, unknown>)[m.json]
  if (m.kind === 'scalar') return typeof v === 'number' ? v : null
  const d = v as Dist | undefined
  return d?.[stat ?? 'p50'] ?? null
}

export function sourceIn(s: object, m: MetricDescriptor): string | null {
  if (m.kind !== 'scalar' || !m.source) return null
  const v = (s as Record<string, unknown>)[m.source.json]
  return typeof v === 'string' ? v : null
}

/** summary.csv columns of one metric. */
export function csvColumns(m: MetricDescriptor): string[] {
  if (m.kind === 'dist') return STATS.map((st) => `${m.csv}_${st}`)
  return m.source ? [m.csv, m.source.csv] : [m.csv]
}

/** summary.csv cells of one metric, in column order: [column, value]. */
export function csvCells(s: object, m: MetricDescriptor): Array<[string, string]> {
  const fmt = (v: number | null) => {
    if (v === null || !Number.isFinite(v)) return m.kind === 'scalar' && m.telemetry ? 'n/a' : ''
    const d = m.csvDigits ?? 3
    return m.csvFixed ? v.toFixed(d) : String(Number(v.toFixed(d)))
  }
  if (m.kind === 'dist') return STATS.map((st) => [`${m.csv}_${st}`, fmt(valueIn(s, m, st))])
  const cells: Array<[string, string]> = [[m.csv, fmt(valueIn(s, m))]]
  if (m.source) cells.push([m.source.csv, sourceIn(s, m) ?? ''])
  return cells
}

/** Metrics in summary.csv order: the headline, (the caller's counts), dists, the other scalars. */
export const CSV_LEAD: readonly ScalarMetric[] = SCALAR_METRICS.filter((m) => m.headline)
export const CSV_BODY: readonly MetricDescriptor[] = [...DIST_METRICS, ...SCALAR_METRICS.filter((m) => !m.headline)]

/** One column of the console, run and HTML tables. */
export interface TableColumn {
  header: string
  metric: MetricDescriptor
  stat?: Stat
}

export const TABLE_COLUMNS: readonly TableColumn[] = [
  ...HEADLINE_FIRST.filter((m) => m.headline && m.table).map((m) => ({ header: m.label, metric: m })),
  ...DIST_METRICS.flatMap((m) => (m.table ?? []).map((stat) => ({ header: `${m.label} ${stat}`, metric: m, stat }))),
  ...HEADLINE_FIRST.filter((m) => !m.headline && m.table).map((m) => ({ header: m.label, metric: m })),
]

export const cellValue = (s: object, col: TableColumn): number | null => valueIn(s, col.metric, col.stat)

// ---- the gate's view: one entry per gated (metric, stat) -----------------------------------------------

type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S
type Dir<M> = M extends { better: 'higher' } ? 'Drop' : 'Rise'
type GatedDist = Extract<DistM, { gate: object }>
type GatedScalar = Extract<ScalarM, { gate: object }>
type DistGateId<M> = M extends { id: infer I extends string; gate: infer G } ? `${I}_${keyof G & string}` : never
type KeyOf<M> = M extends GatedDist ? `${Camel<DistGateId<M>>}${Dir<M>}Pct` : M extends GatedScalar ? `${Camel<M['id']>}${Dir<M>}Pct` : never
type KnobOf<M> = M extends GatedDist
  ? `BENCH_GATE_${Uppercase<DistGateId<M>>}_${Uppercase<Dir<M>>}_PCT`
  : M extends GatedScalar
    ? `BENCH_GATE_${Uppercase<M['id']>}_${Uppercase<Dir<M>>}_PCT`
    : never

/** Gate metric ids ('tokps', 'ttft_p50'…): gate rows, baseline `values` keys. */
export type GateMetricId = DistGateId<GatedDist> | GatedScalar['id']
/** Per-request sample sets the gate tests on: baseline `samples` keys. */
export type GateSampleId = GatedDist['json'] | GatedScalar['id']
/** Threshold keys (gate.json `thresholds`, a spec's `gate` options). */
export type GateThresholdKey = KeyOf<Metric>
export type GateKnobName = KnobOf<Metric>

export interface GateMetricDef {
  id: GateMetricId
  /** Gate row label ('TTFT p50 ms'). */
  label: string
  samples: GateSampleId
  higherBetter: boolean
  q: 0.5 | 0.99
  threshold: GateThresholdKey
  knob: GateKnobName
  /** Default threshold in % (the knob's default). */
  defaultPct: number
  /** The knob's description. */
  description: string
  /** 'ms': a time metric, whose changes under an absolute floor never regress (BENCH_GATE_NOISE_FLOOR_MS, raised to the client's loop-delay p99). */
  noiseFloor: 'ms' | null
  /** Run-to-run noise assumed before baseline runs measure it, as a multiple of BENCH_GATE_RUN_NOISE_PCT: ×4 for p99, which of ~10 requests is one request (on a shared machine one stall moves it 3–4×). */
  runNoiseScale: number
  metric: MetricDescriptor
  stat: GateStat | null
}

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

function gateDef(m: MetricDescriptor, id: string, stat: GateStat | null, pct: number, label: string, samples: string): GateMetricDef {
  const higher = m.better === 'higher'
  const dir = higher ? 'Drop' : 'Rise'
  const what = `${m.prose ?? m.label}${stat ? ` ${stat}` : ''}`
  return {
    id: id as GateMetricId,
    label,
    samples: samples as GateSampleId,
    higherBetter: higher,
    q: stat === 'p99' ? 0.99 : 0.5,
    threshold: `${camel(id)}${dir}Pct` as GateThresholdKey,
    knob: `BENCH_GATE_${id.toUpperCase()}_${dir.toUpperCase()}_PCT` as GateKnobName,
    defaultPct: pct,
    metric: m,
    stat,
    noiseFloor: m.unit === 'ms' ? 'ms' : null,
    runNoiseScale: stat === 'p99' ? 4 : 1,
    description: `Gate: fail when ${what} ${higher ? 'drops' : 'rises'} more than this % ${higher ? 'below' : 'over'} the baseline.`,
  }
}

/** Every gated (metric, stat), headline first, then in registry order. */
export const GATE_METRICS: readonly GateMetricDef[] = [
  ...HEADLINE_FIRST.filter((m) => m.headline),
  ...DIST_METRICS,
  ...HEADLINE_FIRST.filter((m) => !m.headline),
].flatMap((m): GateMetricDef[] => {
  if (m.kind === 'scalar') return m.gate ? [gateDef(m, m.id, null, m.gate.pct, m.gate.label, m.id)] : []
  const gate = m.gate ?? {}
  return (['p50', 'p99'] as const)
    .filter((st) => gate[st] !== undefined)
    .map((st) => gateDef(m, `${m.id}_${st}`, st, gate[st] as number, `${m.label} ${st} ${m.unit}`, m.json))
})

/** The gate's per-request samples of one gated metric, from a case's ok measured records. */
export function gateSamples(g: GateMetricDef, records: readonly RequestRecord[], summary: object): number[] {
  const m = g.metric
  if (m.kind === 'dist') return records.filter((r) => feeds(m, r)).flatMap((r) => valuesOf(m, r))
  const source = sourceIn(summary, m)
  const out: number[] = []
  for (const r of records) {
    if (r.phase !== 'run' || r.outcome !== 'ok') continue
    const v = m.gate?.samples(r, { source })
    if (v !== null && v !== undefined && Number.isFinite(v)) out.push(v)
  }
  return out
}

/** The case value the gate compares: the gated stat of a dist; a scalar only when some request succeeded. */
export function gateValue(g: GateMetricDef, summary: object, ok: number): number | null {
  if (g.metric.kind === 'scalar') return ok > 0 ? valueIn(summary, g.metric) : null
  return valueIn(summary, g.metric, g.stat ?? 'p50')
}
