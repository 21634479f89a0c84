// The README knob table, generated from KNOB_DEFS so the documentation cannot drift from the schema.
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
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

const START = '<!-- knobs:start -->\n'
const END = '\n<!-- knobs:end -->'

/** README text with its knob table replaced by the generated one. */
export function withKnobTable(readme: string): string {
  const i = readme.indexOf(START)
  const j = readme.indexOf(END, i)
  if (i < 0 || j < 0) throw new Error(`README has no ${START.trim()} … ${END.trim()} markers; add them where the knob table goes`)
  return readme.slice(0, i + START.length) + knobTableMarkdown() + readme.slice(j)
}

// `npx tsx env/knob-table.ts --write` regenerates README.md's table (after adding a knob or a gated metric).
if (process.argv.includes('--write') && process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const path = fileURLToPath(new URL('../README.md', import.meta.url))
  writeFileSync(path, withKnobTable(readFileSync(path, 'utf8')))
  console.log('README.md knob table regenerated')
}
