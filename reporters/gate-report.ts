// Human-readable forms of a GateResult: console text, markdown (GitHub step summary), one-line reasons.
import { shortKey } from './case-key.ts'
import { formatTable } from './console-table.ts'
import type { GateResult, GateRow } from './gate.ts'

export function fmtNum(v: number | null): string {
  if (v === null) return '—'
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(2)
}

export function fmtChange(v: number | null): string {
  return v === null ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`
}

/** p-value (Mann-Whitney) or 95% CI of the change (bootstrap). */
export function fmtEvidence(r: GateRow): string {
  if (r.pValue !== undefined) return `p=${r.pValue < 0.001 ? r.pValue.toExponential(1) : r.pValue.toFixed(3)}`
  if (r.ciPct) return `CI [${fmtChange(r.ciPct[0])}, ${fmtChange(r.ciPct[1])}]`
  return r.note ?? ''
}

const HEAD = ['case', 'metric', 'baseline', 'now', 'change', 'threshold', 'evidence'] as const

function tableRows(rows: readonly GateRow[]): string[][] {
  return rows.map((r) => [shortKey(r.caseKey), r.label, fmtNum(r.baseline), fmtNum(r.now), fmtChange(r.changePct), `${r.thresholdPct}%`, fmtEvidence(r)])
}

function textTable(rows: readonly GateRow[]): string[] {
  return formatTable(HEAD, tableRows(rows), (i) => i >= 2 && i <= 5).split('\n')
}

/** Every reason the run fails, one line each (FinalizeResult.reasons). */
export function gateReasons(g: GateResult): string[] {
  return [
    ...g.failures.map((f) => `${f.caseKey}: ${f.reason}`),
    ...g.regressions.map((r) => `${r.caseKey}: ${r.label} regressed ${fmtChange(r.changePct)} (baseline ${fmtNum(r.baseline)}, now ${fmtNum(r.now)}, threshold ${r.thresholdPct}%, ${fmtEvidence(r)})`),
  ]
}

export function renderGateConsole(g: GateResult): string {
  const out: string[] = []
  const against = g.baseline ? ` against baseline '${g.baseline.name}' (${g.baseline.path}, run ${g.baseline.runId})` : ' (no baseline: health checks only; set BENCH_BASELINE to compare)'
  out.push(`== Gate: ${g.passed ? 'PASS' : 'FAIL'}${against} ==`)
  for (const f of g.failures) out.push(`  FAIL ${shortKey(f.caseKey)}: ${f.reason}`)
  if (g.regressions.length) out.push('', 'Regressions:', ...textTable(g.regressions))
  if (g.improvements.length) out.push('', 'Improvements:', ...textTable(g.improvements))
  for (const w of g.warnings) out.push(`  note: ${w}`)
  return out.join('\n')
}

const md = (s: string) => s.replace(/\|/g, '\\|')

export function renderGateMarkdown(g: GateResult): string {
  const out: string[] = [`## fuze-bench gate: ${g.passed ? '✅ pass' : '❌ FAIL'}`, '']
  out.push(g.baseline ? `Run \`${g.runId}\` against baseline **${md(g.baseline.name)}** (run \`${g.baseline.runId}\`).` : `Run \`${g.runId}\`, no baseline (health checks only).`, '')
  if (g.failures.length) out.push('**Failures**', '', ...g.failures.map((f) => `- \`${md(shortKey(f.caseKey))}\`: ${md(f.reason)}`), '')
  const table = (title: string, rows: readonly GateRow[]) => {
    if (!rows.length) return
    out.push(`**${title}**`, '', `| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`)
    for (const r of tableRows(rows)) out.push(`| ${r.map(md).join(' | ')} |`)
    out.push('')
  }
  table('Regressions', g.regressions)
  table('Improvements', g.improvements)
  if (g.warnings.length) out.push('<details><summary>Notes</summary>', '', ...g.warnings.map((w) => `- ${md(w)}`), '', '</details>', '')
  return out.join('\n')
}
