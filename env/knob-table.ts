// The README knob table, generated from KNOB_DEFS so the documentation cannot drift from the schema.
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
