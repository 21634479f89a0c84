// What `fuze-bench ab` writes and prints: ab.json ({verdict, rounds, metrics: [{id, effectPct, ci, verdict}]}) and the table.
import type { AbMetricResult, AbVerdict } from './ab.ts'
import { formatTable } from './console-table.ts'

export interface AbRunRecord {
  round: number
  side: 'A' | 'B'
  runDir: string
  seconds: number
}

export interface AbResult {
  format: 'fuze-bench-ab/1'
  verdict: AbVerdict
  rounds: number
  metrics: AbMetricResult[]
  /** Family-wise α (BENCH_GATE_ALPHA), split evenly over the metrics. */
  alpha: number
  budgetS: number
  elapsedS: number
  /** Why it stopped: every metric decided, a metric failed, the budget, the round limit, or a run that failed. */
  stopped: string
  a: string[]
  b: string[]
  /** Order of each round: AB, BA, AB, … (ABBA). */
  order: string[]
  runs: AbRunRecord[]
  vitestArgs: string[]
  /** A run that failed its health checks or could not run (the verdict is then FAIL). */
  error?: string
}

const pct = (v: number | null, sign = true) => (v === null ? '—' : `${sign && v >= 0 ? '+' : ''}${v.toFixed(1)}%`)

export function renderAbTable(metrics: readonly AbMetricResult[]): string {
  return formatTable(
    ['metric', 'B vs A', 'confidence sequence', 'threshold', 'verdict', 'rounds'],
    metrics.map((m) => [
      m.label,
      pct(m.effectPct),
      `${m.ci[0] === null ? '−∞' : pct(m.ci[0])} .. ${m.ci[1] === null ? '+∞' : pct(m.ci[1])}`,
      `${m.thresholdPct}%`,
      m.verdict === 'INCONCLUSIVE' && !m.blocksPass ? 'undecided (tail)' : m.verdict,
      String(m.rounds),
    ]),
    (i) => i >= 1 && i !== 4,
  )
}

export function renderAbConsole(r: AbResult): string {
  const out = [
    `== A/B: ${r.verdict} after ${r.rounds} round(s), ${r.elapsedS.toFixed(0)} s (${r.stopped}) ==`,
    `A: ${r.a.join(' ') || '(environment)'}`,
    `B: ${r.b.join(' ') || '(environment)'}`,
  ]
  if (r.error) out.push(`  FAIL ${r.error}`)
  if (r.metrics.length) out.push('', renderAbTable(r.metrics))
  for (const m of r.metrics.filter((x) => x.verdict === 'FAIL'))
    out.push(`  FAIL ${m.label}: B ${pct(m.effectPct)} against A (confidence sequence ${pct(m.ci[0])} .. ${pct(m.ci[1])}, threshold ${m.thresholdPct}%)`)
  for (const m of r.metrics.filter((x) => x.verdict === 'INCONCLUSIVE' && x.note)) out.push(`  undecided ${m.label}: ${m.note}`)
  return out.join('\n')
}
