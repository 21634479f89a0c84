// summary.csv: one row per case with every metric of its CaseSummary, flattened. Layout: where and how the
// case ran, the headline metric (tok/s), counts, every dist metric's stats, every other scalar metric, status.
// The metric columns come from the registry in its order; new metrics append to their block.
import { join } from 'node:path'
import { CSV_BODY, CSV_LEAD, csvCells, csvColumns, type MetricDescriptor } from '../helpers/metrics/registry.ts'
import type { CaseSummary, Outcome } from '../helpers/types.ts'
import { toCsv } from './csv-text.ts'
import type { RunSummaryJson } from './run-data.ts'
import { writeFileAtomic } from './safe-write.ts'

const OUTCOMES: readonly Outcome[] = ['ok', 'http_error', 'timeout', 'stall', 'disconnect', 'protocol_error', 'connect_error', 'aborted']

const metricColumns = (ms: readonly MetricDescriptor[]) => ms.flatMap(csvColumns)

export const SUMMARY_COLUMNS: readonly string[] = [
  'run_id',
  'host',
  'finished_at',
  'stack',
  'model',
  'case',
  'full_name',
  'file',
  'endpoint',
  'unit',
  'suffix',
  'variant_label',
  'model_tag',
  'num_gpu',
  'num_ctx',
  'batch',
  'num_predict',
  'gpu_label',
  'gpu_name',
  ...metricColumns(CSV_LEAD),
  'requests',
  'warmup',
  'ok',
  'failed',
  ...OUTCOMES.map((o) => `outcome_${o}`),
  ...metricColumns(CSV_BODY),
  'incomplete',
  'failures',
  'warnings',
]

function metricCells(s: CaseSummary): Record<string, string> {
  return Object.fromEntries([...CSV_LEAD, ...CSV_BODY].flatMap((m) => csvCells(s, m)))
}

export function summaryCsv(sum: RunSummaryJson): string {
  const rows = sum.cases.map((c) => {
    const s = c.summary
    return {
      run_id: sum.runId,
      host: sum.host,
      finished_at: c.finishedAt,
      stack: c.stack,
      model: c.model,
      case: s.caseName,
      full_name: c.fullName,
      file: c.file,
      endpoint: c.row.endpoint,
      unit: c.row.unit,
      suffix: c.row.suffix,
      variant_label: c.row.variantLabel,
      model_tag: c.row.modelTag,
      num_gpu: String(c.row.numGpu),
      num_ctx: String(c.row.numCtx),
      batch: String(c.row.batch),
      num_predict: String(c.row.numPredict),
      gpu_label: c.row.gpuLabel,
      gpu_name: c.row.gpuName,
      requests: String(s.counts.requests),
      warmup: String(s.counts.warmup),
      ok: String(s.counts.ok),
      failed: String(s.counts.failed),
      ...Object.fromEntries(OUTCOMES.map((o) => [`outcome_${o}`, String(s.counts.byOutcome[o] ?? 0)])),
      ...metricCells(s),
      incomplete: String(s.incomplete),
      failures: s.failures.map((f) => f.message).join(' | '),
      warnings: s.warnings.join(' | '),
    }
  })
  return toCsv(SUMMARY_COLUMNS, rows)
}

export function writeSummaryCsv(runDir: string, sum: RunSummaryJson): string {
  const path = join(runDir, 'summary.csv')
  writeFileAtomic(path, summaryCsv(sum))
  return path
}
