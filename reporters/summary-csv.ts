// summary.csv: one row per case with every metric of its CaseSummary, flattened. Column order is fixed
// here so spreadsheets built on it keep working.
import { join } from 'node:path'
import type { CaseSummary, Dist, Outcome } from '../helpers/types.ts'
import { toCsv } from './csv-text.ts'
import type { RunSummaryJson } from './run-data.ts'
import { writeFileAtomic } from './safe-write.ts'

const DISTS = ['ttftMs', 'ttfotMs', 'itlMs', 'tpotMs', 'e2eMs', 'queueMs', 'decodeTokPerSecClient', 'decodeTokPerSecServer'] as const
const DIST_NAMES: Record<(typeof DISTS)[number], string> = {
  ttftMs: 'ttft_ms', ttfotMs: 'ttfot_ms', itlMs: 'itl_ms', tpotMs: 'tpot_ms', e2eMs: 'e2e_ms', queueMs: 'queue_ms',
  decodeTokPerSecClient: 'decode_tps_client', decodeTokPerSecServer: 'decode_tps_server',
}
const STATS = ['n', 'mean', 'std', 'min', 'max', 'p50', 'p90', 'p95', 'p99'] as const satisfies ReadonlyArray<keyof Dist>
const OUTCOMES: readonly Outcome[] = ['ok', 'http_error', 'timeout', 'stall', 'disconnect', 'protocol_error', 'connect_error', 'aborted']

export const SUMMARY_COLUMNS: readonly string[] = [
  'run_id', 'host', 'finished_at', 'stack', 'model', 'case', 'full_name', 'file',
  'endpoint', 'unit', 'suffix', 'variant_label', 'model_tag', 'num_gpu', 'num_ctx', 'batch', 'num_predict', 'gpu_label', 'gpu_name',
  'tokens_per_sec', 'tokens_per_sec_source', 'requests', 'warmup', 'ok', 'failed', ...OUTCOMES.map((o) => `outcome_${o}`),
  ...DISTS.flatMap((d) => STATS.map((s) => `${DIST_NAMES[d]}_${s}`)),
  'output_tokens_server_total', 'output_tokens_client_total', 'token_count_mismatches',
  'wall_ms', 'request_throughput', 'output_token_throughput', 'incomplete', 'failures', 'warnings',
]

const n = (v: number | null | undefined, digits = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '' : String(Number(v.toFixed(digits))))

function distCells(s: CaseSummary): Record<string, string> {
  const out: Record<string, string> = {}
  for (const d of DISTS) for (const st of STATS) out[`${DIST_NAMES[d]}_${st}`] = n(s[d]?.[st])
  return out
}

export function summaryCsv(sum: RunSummaryJson): string {
  const rows = sum.cases.map((c) => {
    const s = c.summary
    return {
      run_id: sum.runId, host: sum.host, finished_at: c.finishedAt, stack: c.stack, model: c.model, case: s.caseName,
      full_name: c.fullName, file: c.file, endpoint: c.row.endpoint, unit: c.row.unit, suffix: c.row.suffix,
      variant_label: c.row.variantLabel, model_tag: c.row.modelTag, num_gpu: String(c.row.numGpu), num_ctx: String(c.row.numCtx),
      batch: String(c.row.batch), num_predict: String(c.row.numPredict), gpu_label: c.row.gpuLabel, gpu_name: c.row.gpuName,
      tokens_per_sec: s.tokensPerSec.toFixed(2), tokens_per_sec_source: s.tokensPerSecSource,
      requests: String(s.counts.requests), warmup: String(s.counts.warmup), ok: String(s.counts.ok), failed: String(s.counts.failed),
      ...Object.fromEntries(OUTCOMES.map((o) => [`outcome_${o}`, String(s.counts.byOutcome[o] ?? 0)])),
      ...distCells(s),
      output_tokens_server_total: String(s.outputTokensServerTotal), output_tokens_client_total: String(s.outputTokensClientTotal),
      token_count_mismatches: String(s.tokenCountMismatches), wall_ms: n(s.wallMs, 1), request_throughput: n(s.requestThroughput),
      output_token_throughput: n(s.outputTokenThroughput), incomplete: String(s.incomplete),
      failures: s.failures.map((f) => f.message).join(' | '), warnings: s.warnings.join(' | '),
    }
  })
  return toCsv(SUMMARY_COLUMNS, rows)
}

export function writeSummaryCsv(runDir: string, sum: RunSummaryJson): string {
  const path = join(runDir, 'summary.csv')
  writeFileAtomic(path, summaryCsv(sum))
  return path
}
