// The three best-of files, always rebuilt from the whole aggregate (never appended), sorted by
// optimal_tokps descending so the first line is the answer to "what is fastest".
import { join } from 'node:path'
import type { AggregateRow } from './aggregate-row.ts'
import { toCsv } from './csv-text.ts'
import { writeFileAtomic } from './safe-write.ts'

const TAIL = ['optimal_tokps', 'baseline_tokps', 'optimal_variant', 'gpu_label', 'gpu_name', 'num_gpu', 'run_ts', 'csv_file'] as const

export const BEST_OF = [
  { file: 'benchmarks.best.csv', key: ['stack', 'model'], columns: ['stack', 'model', 'host', ...TAIL] },
  { file: 'benchmarks.best.by_host_model.csv', key: ['host', 'model'], columns: ['host', 'model', 'stack', ...TAIL] },
  { file: 'benchmarks.best.by_model.csv', key: ['model'], columns: ['model', 'stack', 'host', ...TAIL] },
] as const satisfies ReadonlyArray<{ file: string; key: ReadonlyArray<keyof AggregateRow>; columns: ReadonlyArray<keyof AggregateRow> }>

const num = (s: string) => (Number.isFinite(Number(s)) && s !== '' ? Number(s) : 0)

/** Best row per key: highest optimal_tokps, the newer run on a tie. */
export function bestBy(rows: readonly AggregateRow[], key: ReadonlyArray<keyof AggregateRow>): AggregateRow[] {
  const best = new Map<string, AggregateRow>()
  for (const r of rows) {
    const k = key.map((c) => r[c]).join('\u0000')
    const b = best.get(k)
    if (!b || num(r.optimal_tokps) > num(b.optimal_tokps) || (num(r.optimal_tokps) === num(b.optimal_tokps) && r.run_ts > b.run_ts)) best.set(k, r)
  }
  return sortByTokps([...best.values()], key)
}

export function sortByTokps(rows: AggregateRow[], key: ReadonlyArray<keyof AggregateRow> = ['model', 'stack', 'host']): AggregateRow[] {
  return rows.sort((a, b) => num(b.optimal_tokps) - num(a.optimal_tokps) || key.map((c) => a[c].localeCompare(b[c])).find((x) => x !== 0) || 0)
}

export function rebuildBestOf(resultsDir: string, rows: readonly AggregateRow[]): void {
  for (const spec of BEST_OF) writeFileAtomic(join(resultsDir, spec.file), toCsv(spec.columns, bestBy(rows, spec.key)))
}
