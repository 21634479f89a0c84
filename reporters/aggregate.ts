// results/benchmarks.csv: one row per (run, stack, base_model) with the best base-as-is and the best
// optimized/published row. Merged under a file lock, de-duplicated by (run_ts, host, stack, model),
// written via temp file + rename; the best-of files are rebuilt in the same critical section.
import { existsSync, readFileSync } from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'
import { hostname } from 'node:os'
import { STACK_NAMES } from '../fixtures/stacks/index.ts'
import { AGGREGATE_COLUMNS, type AggregateRow } from './aggregate-row.ts'
import { parseCsv, rowsToObjects, toCsv } from './csv-text.ts'
import { normalizeTs, tokps, type Csv16Row } from './fuze-csv.ts'
import type { RunData } from './run-data.ts'
import { writeFileAtomic, withFileLock } from './safe-write.ts'
import { rebuildBestOf } from './bestof.ts'

export const AGGREGATE_FILE = 'benchmarks.csv'

export type StackedRow = Csv16Row & { stack: string }

/** Stack named in a file name of the old suite (`llamacpp_…csv`, `…vLLM…`), if any. */
export function stackFromName(name: string): string | undefined {
  const n = name.toLowerCase().replace(/[^a-z]/g, '')
  return STACK_NAMES.find((s) => n.includes(s.replace(/[^a-z]/g, '')))
}

/** `YYYYMMDD_HHMMSS-host[-shard]` → ISO local time, the run's start when summary.json is missing. */
function tsFromRunId(runId: string): string | undefined {
  const m = /^(\d{8}_\d{6})/.exec(runId)
  return m ? normalizeTs(m[1]) : undefined
}

export interface RunIdentity {
  runTs: string
  host: string
  csvFile: string
  rows: StackedRow[]
}

/** Attach the stack to each bench.csv row (from the matching summary.json case) and name the run. */
export function identifyRun(run: RunData, resultsDir: string, fallback: { host?: string; stack?: string } = {}): RunIdentity {
  const cases = run.summary?.cases ?? []
  const stacks = [...new Set(cases.map((c) => c.stack))]
  const rows = run.benchRows.map((r) => {
    const c = cases.find(
      (x) => x.row.modelTag === r.model_tag && x.row.endpoint === r.endpoint && x.row.variantLabel === r.variant_label && String(x.row.numGpu) === r.num_gpu,
    )
    const stack = c?.stack ?? (stacks.length === 1 ? stacks[0] : undefined) ?? fallback.stack ?? stackFromName(basename(run.dir)) ?? 'unknown'
    return { ...r, stack }
  })
  const runTs = run.summary?.startedAt ?? tsFromRunId(run.runId) ?? [...rows.map((r) => r.ts)].sort()[0] ?? ''
  const host = run.summary?.host ?? fallback.host ?? hostname()
  return { runTs, host, csvFile: relative(resultsDir, join(run.dir, 'bench.csv')), rows }
}

const fmt = (v: number) => v.toFixed(2)

function variantName(r: Csv16Row): string {
  return r.model_tag && r.model_tag !== r.base_model ? r.model_tag : `num_gpu=${r.num_gpu}`
}

function best(rows: StackedRow[]): StackedRow | undefined {
  return rows.reduce<StackedRow | undefined>((b, r) => (!b || tokps(r) > tokps(b) ? r : b), undefined)
}

/** Aggregate rows of one run, one per (stack, base_model), sorted by stack then model. */
export function aggregateRun(id: RunIdentity): AggregateRow[] {
  const groups = new Map<string, StackedRow[]>()
  for (const r of id.rows) {
    const k = `${r.stack}\u0000${r.base_model}`
    groups.set(k, [...(groups.get(k) ?? []), r])
  }
  const out: AggregateRow[] = []
  for (const rows of groups.values()) {
    const base = best(rows.filter((r) => r.variant_label === 'base-as-is'))
    const opt = best(rows.filter((r) => r.variant_label !== 'base-as-is' && tokps(r) > 0))
    const main = opt ?? base ?? rows[0]
    out.push({
      run_ts: id.runTs,
      host: id.host,
      stack: rows[0].stack,
      model: rows[0].base_model,
      baseline_tokps: base ? fmt(tokps(base)) : '',
      optimal_variant: opt ? variantName(opt) : '',
      optimal_tokps: fmt(tokps(opt ?? base ?? main)),
      baseline_endpoint: base?.endpoint ?? '',
      optimal_endpoint: (opt ?? base ?? main).endpoint,
      gpu_label: main.gpu_label,
      gpu_name: main.gpu_name,
      num_gpu: opt ? opt.num_gpu : '',
      csv_file: id.csvFile,
    })
  }
  return out.sort((a, b) => a.stack.localeCompare(b.stack) || a.model.localeCompare(b.model))
}

/** The run folder a row came from (relative or absolute csv_file alike). */
const runFolder = (csvFile: string) => basename(dirname(csvFile.replace(/\\/g, '/')))

/**
 * (run_ts, host, stack, model) as SPEC says, plus the run folder: two runs started in the same second (CI shards,
 * parallel runs) share run_ts but are two runs, and one must not replace the other's row.
 */
export const aggregateKey = (r: AggregateRow) => [r.run_ts, r.host, r.stack, r.model, runFolder(r.csv_file)].join('\u0000')

export function readAggregate(resultsDir: string): AggregateRow[] {
  const path = join(resultsDir, AGGREGATE_FILE)
  if (!existsSync(path)) return []
  const rows = parseCsv(readFileSync(path, 'utf8'))
  if (rows.length === 0) return []
  const header = rows[0].map((h) => h.trim())
  // older aggregates may order columns differently: map by name, not position
  const objs = rowsToObjects(header, rows.slice(1))
  return objs.map((o) => Object.fromEntries(AGGREGATE_COLUMNS.map((c) => [c, (o[c] ?? '').trim()])) as AggregateRow)
}

export interface MergeResult {
  added: number
  replaced: number
  total: number
  rows: AggregateRow[]
}

/** Sort for the file: newest run first, then stack, model — stable across merges. */
function sortAggregate(rows: AggregateRow[]): AggregateRow[] {
  return [...rows].sort(
    (a, b) => b.run_ts.localeCompare(a.run_ts) || a.host.localeCompare(b.host) || a.stack.localeCompare(b.stack) || a.model.localeCompare(b.model),
  )
}

/**
 * Merge rows into results/benchmarks.csv (a row with the same key replaces the old one: re-collecting a
 * run updates it instead of duplicating it) and rebuild the best-of files, all under one lock.
 */
export async function mergeAggregate(resultsDir: string, incoming: AggregateRow[]): Promise<MergeResult> {
  const path = join(resultsDir, AGGREGATE_FILE)
  return withFileLock(path, () => {
    const byKey = new Map(readAggregate(resultsDir).map((r) => [aggregateKey(r), r]))
    let added = 0
    let replaced = 0
    for (const r of incoming) {
      if (byKey.has(aggregateKey(r))) replaced++
      else added++
      byKey.set(aggregateKey(r), r)
    }
    const rows = sortAggregate([...byKey.values()])
    writeFileAtomic(path, toCsv(AGGREGATE_COLUMNS, rows))
    rebuildBestOf(resultsDir, rows)
    return { added, replaced, total: rows.length, rows }
  })
}
