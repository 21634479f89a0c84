// The README metric table, generated from the metric registry so the documentation of each metric (its names
// in every output, its unit, its gate) cannot drift from the code. `npx tsx env/knob-table.ts --write` writes it.
import { csvColumns, GATE_METRICS, METRICS, type MetricDescriptor } from './registry.ts'

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')
const code = (s: string) => `\`${s}\``

function csvNames(m: MetricDescriptor): string {
  if (m.kind === 'dist') return code(`${m.csv}_{n,mean,std,min,max,p50,p90,p95,p99}`)
  return csvColumns(m).map(code).join(', ')
}

function gateNames(m: MetricDescriptor): string {
  const gs = GATE_METRICS.filter((g) => g.metric === m)
  return gs.length === 0 ? '—' : gs.map((g) => `${code(g.id)} ${g.defaultPct}% (${code(g.knob)})`).join('<br>')
}

export function metricTableMarkdown(): string {
  const rows = (METRICS as readonly MetricDescriptor[]).map((m) => {
    const better = m.better === null ? '—' : m.better
    const json = m.kind === 'scalar' && m.source ? `${code(m.json)}, ${code(m.source.json)}` : code(m.json)
    return `| ${m.label} | ${m.kind === 'dist' ? 'per request' : 'per case'} | ${m.unit} | ${better} | ${json} | ${csvNames(m)} | ${gateNames(m)} | ${cell(m.definition)} |`
  })
  return ['| Metric | Taken | Unit | Better | summary.json | summary.csv | Gate (default) | Definition |', '|---|---|---|---|---|---|---|---|', ...rows].join(
    '\n',
  )
}
