// Per-case metric table of one run (for `fuze-bench analyze`): what a person checks first after a run.
import { formatTable } from './console-table.ts'
import { aliasOf } from '../env/alias.ts'
import type { RunData } from './run-data.ts'

const HEAD = ['case', 'stack', 'model', 'variant', 'num_gpu', 'tok/s', 'ttft p50', 'ttft p99', 'itl p50', 'tpot p50', 'tpot p99', 'e2e p50', 'e2e p99', 'ok/req'] as const

const f = (v: number | null, d = 1) => (v === null ? '—' : v.toFixed(d))

export function renderRunTable(run: RunData): string {
  const cases = [...(run.summary?.cases ?? [])].sort(
    (a, b) => a.stack.localeCompare(b.stack) || a.model.localeCompare(b.model) || b.summary.tokensPerSec - a.summary.tokensPerSec,
  )
  if (cases.length === 0) return `${run.runId}: no cases in summary.json`
  const rows = cases.map((c) => {
    const s = c.summary
    return [
      s.caseName, c.stack, aliasOf(c.model).short, c.row.variantLabel, String(c.row.numGpu), s.tokensPerSec.toFixed(2),
      f(s.ttftMs.p50), f(s.ttftMs.p99), f(s.itlMs.p50, 2), f(s.tpotMs.p50, 2), f(s.tpotMs.p99, 2), f(s.e2eMs.p50), f(s.e2eMs.p99),
      `${s.counts.ok}/${s.counts.requests}`,
    ]
  })
  return [`== Run ${run.runId} (${run.summary?.host ?? '?'}) ==`, formatTable(HEAD, rows, (i) => i >= 4)].join('\n')
}
