// `fuze-bench baseline save`: freeze a run's numbers (and per-request samples, for the significance
// tests) as baselines/<name>.json, to commit or to pass with BENCH_BASELINE.
import { resolve } from 'node:path'
import { resultsDir as defaultResultsDir } from '../../helpers/run-dir.ts'
import { baselineFromRun, baselinePath, writeBaseline } from '../../reporters/baseline.ts'
import { parseCommandArgs } from '../../reporters/cli-args.ts'
import { latestRunDir, loadRun } from '../../reporters/run-data.ts'

export const help = `Save a run as the regression baseline.
usage: fuze-bench baseline save [RUN] [--name main] [--out FILE] [--results DIR]
  RUN: a run folder (default: the newest). Writes baselines/<name>.json (or --out FILE): per case the
  gated metrics and the per-request samples. Use it with BENCH_BASELINE=baselines/main.json.`

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('baseline', args, {
    name: { type: 'string', default: 'main' },
    out: { type: 'string' },
    results: { type: 'string' },
  })
  const [action, runArg] = positionals
  if (action !== 'save') {
    console.error(`fuze-bench baseline: unknown action '${action ?? ''}'. Use \`fuze-bench baseline save [RUN] [--name main]\`.`)
    return 2
  }
  const dir = runArg ? resolve(runArg) : latestRunDir(resolve(values.results ?? defaultResultsDir()))
  const b = baselineFromRun(loadRun(dir), values.name)
  const out = values.out ? resolve(values.out) : baselinePath(process.cwd(), values.name)
  writeBaseline(out, b)
  console.log(`baseline '${b.name}' (${b.cases.length} case(s) from ${b.runId}) written to ${out}`)
  return 0
}
