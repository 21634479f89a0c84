// The FuZe 16-column CSV (docs/spec.md §2): exactly these columns, quoted when needed, one row per case.
import { stringify } from 'csv-stringify/sync'
import type { RowContext } from '../helpers/types.ts'

export const CSV16_HEADER = [
  'ts',
  'endpoint',
  'unit',
  'suffix',
  'base_model',
  'variant_label',
  'model_tag',
  'num_gpu',
  'num_ctx',
  'batch',
  'num_predict',
  'tokens_per_sec',
  'gpu_label',
  'gpu_name',
  'gpu_uuid',
  'gpu_mem_mib',
] as const

export function csv16Fields(ts: string, row: RowContext, tokensPerSec: number): string[] {
  return [
    ts,
    row.endpoint,
    row.unit,
    row.suffix,
    row.baseModel,
    row.variantLabel,
    row.modelTag,
    row.numGpu,
    String(row.numCtx),
    String(row.batch),
    String(row.numPredict),
    (Number.isFinite(tokensPerSec) ? tokensPerSec : 0).toFixed(2),
    row.gpuLabel,
    row.gpuName,
    row.gpuUuid,
    row.gpuMemMib.trim(),
  ]
}

export function csvLine(fields: readonly string[]): string {
  return stringify([fields as string[]], { eof: true, record_delimiter: '\n' })
}

export const CSV16_HEADER_LINE = csvLine(CSV16_HEADER)
