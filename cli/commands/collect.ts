// `fuze-bench collect`: merge run folders (this host's, other hosts', --shard runs) and old FuZe CSVs
// into results/benchmarks.csv, then rebuild the best-of files.
import { existsSync, statSync } from 'node:fs'
import { basename, dirname, relative, resolve } from 'node:path'
import { hostname } from 'node:os'
import { resultsDir as defaultResultsDir } from '../../helpers/run-dir.ts'
import type { AggregateRow } from '../../reporters/aggregate-row.ts'
import { aggregateRun, identifyRun, mergeAggregate, stackFromName } from '../../reporters/aggregate.ts'
import { parseCommandArgs } from '../../reporters/cli-args.ts'
import { readCsv16 } from '../../reporters/fuze-csv.ts'
import { isRunDir, latestRunDir, listRunDirs, loadRun } from '../../reporters/run-data.ts'

export const help = `Merge run folders into results/benchmarks.csv and rebuild the best-of files.
usage: fuze-bench collect [--all] [--results DIR] [--host H] [--stack S] [PATH…]
  PATH: a run folder, a folder of run folders (e.g. copied from another host or from --shard runs),
        or an old FuZe CSV file (16 or 17 fields; --host/--stack name it when the file cannot).
  No PATH: the newest run folder; --all: also every run folder under the results folder.
  Rows are de-duplicated by (run_ts, host, stack, model): collecting twice changes nothing.
  Results folder: --results, else BENCH_RESULTS_DIR / LOG_DIR, else ./results.`

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('collect', args, {
    all: { type: 'boolean', default: false },
    results: { type: 'string' },
    host: { type: 'string' },
    stack: { type: 'string' },
  })
  const resultsDir = resolve(values.results ?? defaultResultsDir())
  const runDirs: string[] = []
  const csvFiles: string[] = []
  for (const p of positionals.map((x) => resolve(x))) {
    if (!existsSync(p)) throw new Error(`${p} does not exist; pass run folders, folders of run folders, or FuZe CSV files`)
    if (statSync(p).isFile()) csvFiles.push(p)
    else if (isRunDir(p)) runDirs.push(p)
    else {
      const found = listRunDirs(p)
      if (found.length === 0) throw new Error(`${p} holds no run folders (folders with bench.csv or summary.json)`)
      runDirs.push(...found)
    }
  }
  if (values.all) runDirs.push(...listRunDirs(resultsDir))
  else if (positionals.length === 0) runDirs.push(latestRunDir(resultsDir))
  if (runDirs.length === 0 && csvFiles.length === 0) throw new Error(`no run folders in ${resultsDir}; nothing to collect`)

  const rows: AggregateRow[] = []
  for (const dir of runDirs) {
    const data = loadRun(dir)
    for (const w of data.warnings) console.error(`note: ${w}`)
    rows.push(...aggregateRun(identifyRun(data, resultsDir, { host: values.host, stack: values.stack })))
  }
  for (const file of csvFiles) {
    const read = readCsv16(file)
    for (const w of read.warnings) console.error(`note: ${w}`)
    const stack = values.stack ?? stackFromName(basename(file))
    if (!stack) throw new Error(`cannot tell the stack of ${file} from its name; pass --stack (e.g. --stack ollama)`)
    const id = identifyRun({ dir: dirname(file), runId: basename(file), summary: null, benchRows: read.rows, requests: new Map(), warnings: [] }, resultsDir, {
      host: values.host ?? hostname(),
      stack,
    })
    rows.push(...aggregateRun({ ...id, runTs: [...read.rows.map((r) => r.ts)].sort()[0] ?? '', csvFile: relative(resultsDir, file) }))
  }
  const res = await mergeAggregate(resultsDir, rows)
  console.log(
    `collected ${runDirs.length} run folder(s)${csvFiles.length ? ` and ${csvFiles.length} CSV file(s)` : ''}: ${res.added} row(s) added, ${res.replaced} updated, ${res.total} in ${resolve(resultsDir, 'benchmarks.csv')}`,
  )
  return 0
}
