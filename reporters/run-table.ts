// Per-case metric table of one run (for `fuze-bench analyze`): what a person checks first after a run.
import { aliasOf } from '../env/alias.ts'
import { cellValue, TABLE_COLUMNS } from '../helpers/metrics/registry.ts'
import { formatTable } from './console-table.ts'
import type { RunData } from './run-data.ts'

const HEAD = ['case', 'stack', 'model', 'variant', 'num_gpu', ...TABLE_COLUMNS.map((c) => c.header), 'ok/req']

export function renderRunTable(run: RunData): string {
  const cases = [...(run.summary?.cases ?? [])].sort(
    (a, b) => a.stack.localeCompare(b.stack) || a.model.localeCompare(b.model) || b.summary.tokensPerSec - a.summary.tokensPerSec,
  )
  if (cases.length === 0) return `${run.runId}: no cases in summary.json`
  const rows = cases.map((c) => {
    const s = c.summary
    return [
      s.caseName,
      c.stack,
      aliasOf(c.model).short,
      c.row.variantLabel,
      String(c.row.numGpu),
      ...TABLE_COLUMNS.map((col) => cellValue(s, col)?.toFixed(col.metric.digits) ?? '—'),
      `${s.counts.ok}/${s.counts.requests}`,
    ]
  })
  return [`== Run ${run.runId} (${run.summary?.host ?? '?'}) ==`, formatTable(HEAD, rows, (i) => i >= 4)].join('\n')
}
