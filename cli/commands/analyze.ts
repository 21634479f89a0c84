// `fuze-bench analyze`: look at one run again — per-case table, gate verdict, regenerated
// summary.csv / gate.json / report.html. Exits 1 when the gate fails, so CI can call it on a run folder.
import { dirname, resolve } from 'node:path'
import { EnvFileError, getKnobs, KnobError, type Knobs } from '../../env/index.ts'
import { resultsDir as defaultResultsDir } from '../../helpers/run-dir.ts'
import { parseCommandArgs } from '../../reporters/cli-args.ts'
import { finalizeRun } from '../../reporters/finalize.ts'
import { latestRunDir, loadRun } from '../../reporters/run-data.ts'
import { renderRunTable } from '../../reporters/run-table.ts'

export const help = `Analyze one run again: per-case metrics, then the end of a bench run once more (summary.csv, the
  aggregate, gate verdict and gate.json, report.html), with the same knobs (BENCH_ALLOW_CLIENT_BOUND, BENCH_JUNIT, …).
usage: fuze-bench analyze [RUN] [--baseline FILE] [--allow-client-bound] [--junit FILE] [--results DIR]
  RUN: a run folder (default: the newest under the results folder).
  --baseline (default BENCH_BASELINE): a baseline file, run folder, summary.json or results folder to
  compare against; thresholds from BENCH_GATE_* env vars.
  Exit code 1 when the gate fails (0 samples, errors over the ceiling, client-bound, or a significant regression).`

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('analyze', args, {
    baseline: { type: 'string' },
    'allow-client-bound': { type: 'boolean', default: false },
    junit: { type: 'string' },
    results: { type: 'string' },
  })
  let knobs: Knobs
  try {
    knobs = getKnobs()
  } catch (e) {
    if (!(e instanceof KnobError || e instanceof EnvFileError)) throw e
    console.error(`fuze-bench analyze: ${e.message}`)
    return 1
  }
  const dir = positionals[0] ? resolve(positionals[0]) : latestRunDir(resolve(values.results ?? defaultResultsDir()))
  // a run folder lives in its results folder (the aggregate's home)
  const results = resolve(values.results ?? dirname(dir))
  // the same end of a run as a bench run's (finalize.ts), settings from the validated knobs; flags override them
  const run = loadRun(dir)
  console.log(renderRunTable(run))
  console.log('')
  const res = await finalizeRun({
    knobs,
    run,
    runDir: dir,
    resultsDir: results,
    baseline: values.baseline,
    allowClientBound: values['allow-client-bound'] || undefined,
    junitPath: values.junit,
  })
  return res.failed ? 1 : 0
}
