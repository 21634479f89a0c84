// `fuze-bench baseline save`: freeze the numbers of one or more runs as baselines/<name>.json, to commit
// or to pass with BENCH_BASELINE. Several runs let the gate measure run-to-run noise instead of assuming it.
import { resolve } from 'node:path'
import { resultsDir as defaultResultsDir } from '../../helpers/run-dir.ts'
import { baselineFromRuns, baselinePath, writeBaseline } from '../../reporters/baseline.ts'
import { parseCommandArgs } from '../../reporters/cli-args.ts'
import { latestRunDir, listRunDirs, loadRun } from '../../reporters/run-data.ts'

export const help = `Save one or more runs as the regression baseline.
usage: fuze-bench baseline save [RUN…] [--last K] [--name main] [--out FILE] [--results DIR]
  RUN: run folders (default: the newest; --last K: the newest K under the results folder). Writes
  baselines/<name>.json (or --out FILE): per case the gated metrics of every run. With 3+ runs the gate
  measures run-to-run noise; with one it assumes BENCH_GATE_RUN_NOISE_PCT and says so.
  Use it with BENCH_BASELINE=baselines/main.json (a run folder or its summary.json works too).`

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('baseline', args, {
    name: { type: 'string', default: 'main' },
    out: { type: 'string' },
    results: { type: 'string' },
    last: { type: 'string' },
  })
  const [action, ...runArgs] = positionals
  if (action !== 'save') {
    console.error(`fuze-bench baseline: unknown action '${action ?? ''}'. Use \`fuze-bench baseline save [RUN…] [--name main]\`.`)
    return 2
  }
  const results = resolve(values.results ?? defaultResultsDir())
  let dirs: string[]
  if (values.last !== undefined) {
    const k = Number(values.last)
    if (!Number.isInteger(k) || k < 1 || runArgs.length > 0) {
      console.error(
        `fuze-bench baseline: --last takes a whole number of runs ≥ 1 (got '${values.last}') and no RUN folders; e.g. \`fuze-bench baseline save --last 3\`.`,
      )
      return 2
    }
    dirs = listRunDirs(results).slice(-k)
    if (dirs.length === 0) dirs = [latestRunDir(results)] // its "no run folders" paragraph
  } else dirs = runArgs.length ? runArgs.map((a) => resolve(a)) : [latestRunDir(results)]
  const b = baselineFromRuns(
    dirs.map((d) => loadRun(d)),
    values.name,
  )
  const out = values.out ? resolve(values.out) : baselinePath(process.cwd(), values.name)
  writeBaseline(out, b)
  const from = b.runIds.length === 1 ? b.runIds[0] : `${b.runIds.length} runs: ${b.runIds.join(', ')}`
  console.log(`baseline '${b.name}' (${b.cases.length} case(s) from ${from}) written to ${out}`)
  return 0
}
