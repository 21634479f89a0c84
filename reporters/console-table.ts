// The end-of-run table on the console: one line per case, the numbers people look at first.
import type { Dist } from '../helpers/types.ts'
import type { SummaryCase } from './run-folder.ts'

function ms(d: Dist, k: 'p50' | 'p99'): string {
  const v = d[k]
  return v === null ? '-' : v < 10 ? v.toFixed(2) : v < 1000 ? v.toFixed(1) : v.toFixed(0)
}

/** Aligned plain-text table (header, dashes, rows); the one table layout of every console output. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, rightAlign: (i: number) => boolean = (i) => i > 0): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (rightAlign(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd()
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** Every column left-aligned (command listings). */
export const leftTable = (headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string => formatTable(headers, rows, () => false)

export function caseTable(cases: SummaryCase[]): string {
  const headers = ['case', 'tok/s', 'src', 'TTFT p50', 'TTFT p99', 'ITL p50', 'TPOT p50', 'E2E p50', 'ok/n', 'out tok']
  const rows = cases.map((c) => {
    const s = c.summary
    return [
      `${c.stack} ${c.model} › ${c.fullName}`,
      s.tokensPerSec.toFixed(2),
      s.tokensPerSecSource,
      ms(s.ttftMs, 'p50'),
      ms(s.ttftMs, 'p99'),
      ms(s.itlMs, 'p50'),
      ms(s.tpotMs, 'p50'),
      ms(s.e2eMs, 'p50'),
      `${s.counts.ok}/${s.counts.requests}`,
      String(s.outputTokensServerTotal || s.outputTokensClientTotal),
    ]
  })
  return formatTable(headers, rows, (i) => i > 0 && i !== 2)
}
