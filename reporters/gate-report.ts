// Human-readable forms of a GateResult: console text, markdown (GitHub step summary), one-line reasons.
import { failure, type Failure } from '../helpers/failure.ts'
import { shortKey } from '../core/case-key.ts'
import { formatTable } from './console-table.ts'
import type { GateResult, GateRow } from './gate-types.ts'

export function fmtNum(v: number | null): string {
  if (v === null) return '—'
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(2)
}

export function fmtChange(v: number | null): string {
  return v === null ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`
}

const fmtP = (p: number) => (p < 0.001 ? p.toExponential(1) : p.toFixed(3))

/** The evidence of a row: Holm-adjusted p-value (raw p), the run noise it was judged against and its source. */
export function fmtEvidence(r: GateRow): string {
  if (r.pAdjusted === undefined || r.pValue === undefined) return r.note ?? ''
  const runs = r.baselineRuns === 1 ? '1-run baseline' : `${r.baselineRuns} baseline runs`
  return `adj. p=${fmtP(r.pAdjusted)} (p=${fmtP(r.pValue)}; noise ±${(r.noisePct ?? 0).toFixed(1)}%/run, ${runs})`
}

const HEAD = ['case', 'metric', 'baseline', 'now', 'change', 'threshold', 'evidence'] as const

function tableRows(rows: readonly GateRow[]): string[][] {
  return rows.map((r) => [shortKey(r.caseKey), r.label, fmtNum(r.baseline), fmtNum(r.now), fmtChange(r.changePct), `${r.thresholdPct}%`, fmtEvidence(r)])
}

function textTable(rows: readonly GateRow[]): string[] {
  return formatTable(HEAD, tableRows(rows), (i) => i >= 2 && i <= 5).split('\n')
}

/** One regression as a sentence (console FAIL line, GitHub annotation, JUnit message). */
export function regressionText(r: GateRow): string {
  return `${r.label} regressed ${fmtChange(r.changePct)} (baseline ${fmtNum(r.baseline)}, now ${fmtNum(r.now)}, threshold ${r.thresholdPct}%, ${fmtEvidence(r)})`
}

/** Every reason the run fails, one each, the case named in the message (FinalizeResult.failures). */
export function gateFailures(g: GateResult): Failure[] {
  return [
    ...g.failures.map((f) => failure(f.code, `${f.caseKey}: ${f.message}`)),
    ...g.regressions.map((r) => failure('regression', `${r.caseKey}: ${regressionText(r)}`)),
    ...(g.verdict === 'INCONCLUSIVE' && !g.passed ? g.inconclusive.map((r) => failure('inconclusive', `${r.caseKey}: ${inconclusiveText(r)}`)) : []),
  ]
}

/** One inconclusive row as a sentence (annotation, failure message under BENCH_GATE_INCONCLUSIVE=fail). */
export function inconclusiveText(r: GateRow): string {
  const worst = r.worstPct === undefined ? '' : `, a change up to ${r.worstPct.toFixed(1)}% worse is not excluded`
  const need = r.runsToDecide ? `; ~${r.runsToDecide} baseline runs would decide (has ${r.baselineRuns})` : '; more baseline runs alone will not decide'
  return `${r.label} INCONCLUSIVE: ${fmtChange(r.changePct)} (baseline ${fmtNum(r.baseline)}, now ${fmtNum(r.now)}${worst}, threshold ${(r.decidePct ?? r.thresholdPct).toFixed(0)}%${need})`
}

function against(g: GateResult): string {
  const b = g.baseline
  if (!b) return ' (no baseline: health checks only; set BENCH_BASELINE to compare)'
  const runs = b.runIds.length === 1 ? `run ${b.runIds[0]}` : `${b.runIds.length} runs: ${b.runIds.join(', ')}`
  return ` against baseline '${b.name}' (${b.path}, ${runs})`
}

/** The verdict word as printed; an INCONCLUSIVE run that BENCH_GATE_INCONCLUSIVE=fail fails says so. */
export function verdictWord(g: GateResult): string {
  return g.verdict === 'INCONCLUSIVE' && !g.passed ? 'INCONCLUSIVE (fails: BENCH_GATE_INCONCLUSIVE=fail)' : g.verdict
}

const INCONCLUSIVE_HEAD = ['case', 'metric', 'baseline', 'now', 'change', 'worst admitted', 'threshold', 'baseline runs to decide'] as const

function inconclusiveRows(rows: readonly GateRow[]): string[][] {
  return rows.map((r) => [
    shortKey(r.caseKey),
    r.label,
    fmtNum(r.baseline),
    fmtNum(r.now),
    fmtChange(r.changePct),
    r.worstPct === undefined ? '—' : `${r.worstPct.toFixed(1)}% worse`,
    `${(r.decidePct ?? r.thresholdPct).toFixed(0)}%`,
    r.runsToDecide ? `~${r.runsToDecide} (has ${r.baselineRuns})` : r.note ? r.note : 'more runs alone will not',
  ])
}

export function renderGateConsole(g: GateResult): string {
  const out: string[] = []
  out.push(`== Gate: ${verdictWord(g)}${against(g)} ==`)
  for (const f of g.failures) out.push(`  FAIL ${shortKey(f.caseKey)}: ${f.message}`)
  if (g.regressions.length) out.push('', 'Regressions:', ...textTable(g.regressions))
  if (g.improvements.length) out.push('', 'Improvements:', ...textTable(g.improvements))
  if (g.inconclusive.length)
    out.push(
      '',
      'Inconclusive (cannot exclude a change past the threshold):',
      ...formatTable(INCONCLUSIVE_HEAD, inconclusiveRows(g.inconclusive), (i) => i >= 2 && i <= 6).split('\n'),
    )
  for (const w of g.warnings) out.push(`  note: ${w}`)
  return out.join('\n')
}

const md = (s: string) => s.replace(/\|/g, '\\|')

export function renderGateMarkdown(g: GateResult): string {
  const icon = g.verdict === 'PASS' ? '✅' : g.verdict === 'FAIL' || !g.passed ? '❌' : '⚠️'
  const out: string[] = [`## fuze-bench gate: ${icon} ${verdictWord(g)}`, '']
  const runs = g.baseline ? g.baseline.runIds.map((id) => `\`${id}\``).join(', ') : ''
  out.push(
    g.baseline
      ? `Run \`${g.runId}\` against baseline **${md(g.baseline.name)}** (run${g.baseline.runIds.length === 1 ? '' : 's'} ${runs}).`
      : `Run \`${g.runId}\`, no baseline (health checks only).`,
    '',
  )
  if (g.failures.length) out.push('**Failures**', '', ...g.failures.map((f) => `- \`${md(shortKey(f.caseKey))}\`: ${md(f.message)}`), '')
  const table = (title: string, rows: readonly GateRow[]) => {
    if (!rows.length) return
    out.push(`**${title}**`, '', `| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`)
    for (const r of tableRows(rows)) out.push(`| ${r.map(md).join(' | ')} |`)
    out.push('')
  }
  table('Regressions', g.regressions)
  table('Improvements', g.improvements)
  if (g.inconclusive.length) {
    out.push(
      '**Inconclusive** (cannot exclude a change past the threshold)',
      '',
      `| ${INCONCLUSIVE_HEAD.join(' | ')} |`,
      `|${INCONCLUSIVE_HEAD.map(() => '---').join('|')}|`,
    )
    for (const r of inconclusiveRows(g.inconclusive)) out.push(`| ${r.map(md).join(' | ')} |`)
    out.push('')
  }
  if (g.warnings.length) out.push('<details><summary>Notes</summary>', '', ...g.warnings.map((w) => `- ${md(w)}`), '', '</details>', '')
  return out.join('\n')
}
