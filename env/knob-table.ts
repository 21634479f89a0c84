// The README knob table, generated from KNOB_DEFS so the documentation cannot drift from the schema;
// `--write` also regenerates the metric table (helpers/metrics/metric-table.ts).
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { metricTableMarkdown } from '../helpers/metrics/metric-table.ts'
import { KNOB_DEFS } from './knobs.ts'

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')

export function knobTableMarkdown(): string {
  const rows = KNOB_DEFS.map((d) => {
    const name = [d.name, ...(d.aliases ?? []).map((a) => `${a} (alias)`)].map((n) => `\`${n}\``).join('<br>')
    const def = d.default === undefined ? '—' : d.default === '' ? '(empty)' : d.name === 'BENCH_PROMPT' ? 'a short fixed prompt' : `\`${d.default}\``
    return `| ${name} | ${d.group} | ${cell(def)} | ${cell(d.allowed)} | ${cell(d.description)} |`
  })
  return ['| Knob | Group | Default | Allowed | Meaning |', '|---|---|---|---|---|', ...rows].join('\n')
}

/** `readme` with the block between `<!-- name:start -->` and `<!-- name:end -->` replaced by `table`. */
export function withGenerated(readme: string, name: string, table: string): string {
  const start = `<!-- ${name}:start -->\n`
  const end = `\n<!-- ${name}:end -->`
  const i = readme.indexOf(start)
  const j = readme.indexOf(end, i)
  if (i < 0 || j < 0) throw new Error(`README has no ${start.trim()} … ${end.trim()} markers; add them where the ${name} table goes`)
  return readme.slice(0, i + start.length) + table + readme.slice(j)
}

// `npx tsx env/knob-table.ts --write` regenerates README.md's knob and metric tables (after adding a knob or a metric).
if (process.argv.includes('--write') && process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const path = fileURLToPath(new URL('../README.md', import.meta.url))
  const readme = readFileSync(path, 'utf8')
  writeFileSync(path, withGenerated(withGenerated(readme, 'knobs', knobTableMarkdown()), 'metrics', metricTableMarkdown()))
  console.log('README.md knob and metric tables regenerated')
}
