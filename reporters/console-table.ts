// The end-of-run table on the console: one line per case, the numbers people look at first.
import { cellValue, sourceIn, TABLE_COLUMNS, type TableColumn } from '../helpers/metrics/registry.ts'
import type { SummaryCase } from './run-folder.ts'

/** Milliseconds get as many decimals as they need to be read at a glance; other units their metric's digits. */
function cell(s: object, col: TableColumn): string {
  const v = cellValue(s, col)
  if (v === null) return '-'
  if (col.metric.unit !== 'ms') return v.toFixed(col.metric.digits)
  return v < 10 ? v.toFixed(2) : v < 1000 ? v.toFixed(1) : v.toFixed(0)
}

/** Aligned plain-text table (header, dashes, rows); the one table layout of every console output. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, rightAlign: (i: number) => boolean = (i) => i > 0): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (rightAlign(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd()
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** Every column left-aligned (command listings). */
export const leftTable = (headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string => formatTable(headers, rows, () => false)

/** A metric with a source (tok/s: server or client) gets a 'src' column right after its own. */
const hasSource = (col: TableColumn) => col.metric.kind === 'scalar' && col.metric.source !== undefined && col.stat === undefined

export function caseTable(cases: SummaryCase[]): string {
  const headers = ['case', ...TABLE_COLUMNS.flatMap((c) => (hasSource(c) ? [c.header, 'src'] : [c.header])), 'ok/n', 'out tok']
  const rows = cases.map((c) => {
    const s = c.summary
    return [
      `${c.stack} ${c.model} › ${c.fullName}${s.load?.saturation ? ' (past saturation)' : ''}`,
      ...TABLE_COLUMNS.flatMap((col) => (hasSource(col) ? [cell(s, col), sourceIn(s, col.metric) ?? '-'] : [cell(s, col)])),
      `${s.counts.ok}/${s.counts.requests}`,
      String(s.outputTokensServerTotal || s.outputTokensClientTotal),
    ]
  })
  return formatTable(headers, rows, (i) => i > 0 && headers[i] !== 'src')
}
