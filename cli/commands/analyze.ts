// `fuze-bench analyze`: look at one run again — per-case table, gate verdict, regenerated
// summary.csv / gate.json / report.html. Exits 1 when the gate fails, so CI can call it on a run folder.
import { join, resolve } from 'node:path'
import { resultsDir as defaultResultsDir } from '../../helpers/run-dir.ts'
import { readBaselineSource } from '../../reporters/baseline.ts'
import { parseCommandArgs } from '../../reporters/cli-args.ts'
import { renderGateConsole } from '../../reporters/gate-report.ts'
import { runGate } from '../../reporters/gate.ts'
import { writeReport } from '../../reporters/html.ts'
import { writeJunit } from '../../reporters/junit.ts'
import { latestRunDir, loadRun } from '../../reporters/run-data.ts'
import { renderRunTable } from '../../reporters/run-table.ts'
import { writeFileAtomic } from '../../reporters/safe-write.ts'
import { writeSummaryCsv } from '../../reporters/summary-csv.ts'

export const help = `Analyze one run: per-case metrics, gate verdict, regenerated summary.csv, gate.json and report.html.
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
  const dir = positionals[0] ? resolve(positionals[0]) : latestRunDir(resolve(values.results ?? defaultResultsDir()))
  const data = loadRun(dir)
  for (const w of data.warnings) console.error(`note: ${w}`)
  const baselinePath = values.baseline ?? (process.env.BENCH_BASELINE || undefined)
  const historyRuns = process.env.BENCH_BASELINE_RUNS ? Number(process.env.BENCH_BASELINE_RUNS) : undefined
  const baseline = baselinePath ? readBaselineSource(baselinePath, { excludeRunDir: dir, historyRuns }) : undefined
  const gate = runGate(data, { baseline, allowClientBound: values['allow-client-bound'] })
  console.log(renderRunTable(data))
  console.log('')
  console.log(renderGateConsole(gate))
  if (data.summary) writeSummaryCsv(dir, data.summary)
  writeFileAtomic(join(dir, 'gate.json'), `${JSON.stringify(gate, null, 1)}\n`)
  const junit = values.junit ?? (process.env.BENCH_JUNIT || undefined)
  if (junit) writeJunit(resolve(junit), data, gate)
  console.log(`report: ${writeReport(dir, data, gate)}`)
  return gate.passed ? 0 : 1
}
