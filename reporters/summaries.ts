// Console and markdown summaries of the aggregate. Every section has the same columns and the same
// column widths (computed over all sections), models are shown by their alias everywhere, and every
// section is sorted (tok/s descending, then model, stack, host).
import { aliasOf } from '../env/alias.ts'
import type { AggregateRow } from './aggregate-row.ts'
import { bestBy, sortByTokps } from './bestof.ts'

export interface SummaryFilter {
  top?: number
  stack?: string
  model?: string
  gpu?: string
  host?: string
}

export interface SummarySection {
  title: string
  rows: AggregateRow[]
}

const COLUMNS = ['model', 'stack', 'host', 'endpoint', 'gpu', 'variant', 'num_gpu', 'base tok/s', 'opt tok/s', 'gain', 'run'] as const
const RIGHT = new Set<string>(['num_gpu', 'base tok/s', 'opt tok/s', 'gain'])

const num = (s: string) => (s !== '' && Number.isFinite(Number(s)) ? Number(s) : NaN)

/** optimal ÷ baseline as `N.NNx`; empty when there is no baseline to divide by. */
export function gain(r: AggregateRow): string {
  const b = num(r.baseline_tokps)
  const o = num(r.optimal_tokps)
  return b > 0 && Number.isFinite(o) ? `${(o / b).toFixed(2)}x` : ''
}

/** `2025-01-02T03:04:05+01:00` → `2025-01-02 03:04` (the run column only needs to tell runs apart). */
function shortTs(ts: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(ts)
  return m ? `${m[1]} ${m[2]}` : ts
}

function cells(r: AggregateRow): string[] {
  return [
    aliasOf(r.model).short,
    r.stack,
    r.host,
    r.optimal_endpoint,
    r.gpu_label,
    r.optimal_variant || 'base-as-is',
    r.num_gpu,
    r.baseline_tokps,
    r.optimal_tokps,
    gain(r),
    shortTs(r.run_ts),
  ]
}

function matches(r: AggregateRow, f: SummaryFilter): boolean {
  const re = (p: string | undefined, ...vals: string[]) => {
    if (!p) return true
    const rx = new RegExp(p, 'i')
    return vals.some((v) => rx.test(v))
  }
  return re(f.stack, r.stack) && re(f.model, r.model, aliasOf(r.model).short) && re(f.gpu, r.gpu_label, r.gpu_name) && re(f.host, r.host)
}

export function filterRows(rows: readonly AggregateRow[], f: SummaryFilter): AggregateRow[] {
  for (const [flag, p] of Object.entries({ stack: f.stack, model: f.model, gpu: f.gpu, host: f.host })) {
    if (!p) continue
    try {
      new RegExp(p)
    } catch (err) {
      throw new Error(`--${flag} '${p}' is not a valid regular expression (${(err as Error).message}); use e.g. --${flag} 'gemma3'`)
    }
  }
  return rows.filter((r) => matches(r, f))
}

/** All sections of the summary, in the order the FuZe suite printed them (current run last). */
export function buildSections(all: readonly AggregateRow[], f: SummaryFilter = {}, current?: { runTs: string; host: string }): SummarySection[] {
  const rows = filterRows(all, f)
  const optimized = rows.filter((r) => r.optimal_variant !== '')
  const withGain = bestBy(
    rows.filter((r) => gain(r) !== ''),
    ['stack', 'model', 'host'],
  ).sort((a, b) => num(gain(b)) - num(gain(a)) || a.model.localeCompare(b.model))
  const sections: SummarySection[] = [
    { title: `Top ${f.top ?? 10} by tok/s`, rows: sortByTokps([...rows]).slice(0, f.top ?? 10) },
    { title: 'Best optimized per (endpoint, model)', rows: bestBy(optimized, ['optimal_endpoint', 'model']) },
    { title: 'Base vs optimized (gain = optimal ÷ baseline)', rows: withGain },
    { title: 'Best per (stack, model)', rows: bestBy(rows, ['stack', 'model']) },
    { title: 'Best per (stack, model, gpu_label)', rows: bestBy(rows, ['stack', 'model', 'gpu_label']) },
    { title: 'Best per (host, model)', rows: bestBy(rows, ['host', 'model']) },
    { title: 'Global best per model', rows: bestBy(rows, ['model']) },
  ]
  if (current) sections.push({ title: 'Current run', rows: sortByTokps(rows.filter((r) => r.run_ts === current.runTs && r.host === current.host)) })
  return sections
}

function widths(sections: readonly SummarySection[]): number[] {
  const w: number[] = COLUMNS.map((c) => c.length)
  for (const s of sections) for (const r of s.rows) cells(r).forEach((c, i) => (w[i] = Math.max(w[i], c.length)))
  return w
}

const pad = (s: string, w: number, col: string) => (RIGHT.has(col) ? s.padStart(w) : s.padEnd(w))

export function renderConsole(sections: readonly SummarySection[]): string {
  const w = widths(sections)
  const line = (vals: readonly string[]) =>
    vals
      .map((v, i) => pad(v, w[i], COLUMNS[i]))
      .join('  ')
      .trimEnd()
  const out: string[] = []
  for (const s of sections) {
    out.push('', `== ${s.title} ==`)
    if (s.rows.length === 0) {
      out.push('  (no rows)')
      continue
    }
    out.push(line(COLUMNS), w.map((x) => '-'.repeat(x)).join('  '))
    for (const r of s.rows) out.push(line(cells(r)))
  }
  return out.join('\n').replace(/^\n/, '')
}

const mdEscape = (s: string) => s.replace(/\|/g, '\\|')

export function renderMarkdown(sections: readonly SummarySection[], level = '###'): string {
  const w = widths(sections)
  const line = (vals: readonly string[]) => `| ${vals.map((v, i) => pad(mdEscape(v), w[i], COLUMNS[i])).join(' | ')} |`
  const sep = `|${w.map((x, i) => (RIGHT.has(COLUMNS[i]) ? `${'-'.repeat(x + 1)}:` : '-'.repeat(x + 2))).join('|')}|`
  const out: string[] = []
  for (const s of sections) {
    out.push(`${level} ${s.title}`, '')
    if (s.rows.length === 0) out.push('_no rows_')
    else out.push(line(COLUMNS), sep, ...s.rows.map((r) => line(cells(r))))
    out.push('')
  }
  return out.join('\n')
}
