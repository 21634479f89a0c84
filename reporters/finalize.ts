// End of a run: read the baseline, run the gate, then write every `end` output of the registry (outputs.ts).
// Each step runs even when an earlier one failed (a read-only results folder must not also cost the
// report), every failure is a named reason, and nothing is ever half-written (safe-write.ts).
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { effectiveEnv, getKnobs, type Knobs } from '../env/index.ts'
import { failure, type Failure } from '../helpers/failure.ts'
import { readBaselineSource } from './baseline.ts'
import type { LoadedBaseline } from './gate-types.ts'
import { gateFailures } from './gate-report.ts'
import { runGate, type GateResult } from './gate.ts'
import { OUTPUTS, type OutputContext, type OutputSettings } from './outputs.ts'
import type { RunSummary } from './run-folder.ts'
import { loadRun, type RunData } from './run-data.ts'

export interface FinalizeOptions {
  runDir: string
  resultsDir: string
  /** The run's summary as the reporter holds it (not read back from summary.json). */
  summary?: RunSummary
  /** The run already loaded (fuze-bench analyze printed its table from it): not read again. */
  run?: RunData
  /** Validated knobs (default: this process's, environment + BENCH_ENV_FILE + flags); the options below override them. */
  knobs?: Knobs
  /** Baseline file, run folder, summary.json or results folder; default BENCH_BASELINE. */
  baseline?: string
  /** Newest runs per case when the baseline is a results folder; default BENCH_BASELINE_RUNS. */
  baselineRuns?: number
  /** Rewrite the baseline with this run's numbers (regressions are reported, not failed). Default BENCH_UPDATE_BASELINE=1. */
  updateBaseline?: boolean
  /** Do not fail client-bound cases. Default BENCH_ALLOW_CLIENT_BOUND=1. */
  allowClientBound?: boolean
  /** JUnit XML output; default BENCH_JUNIT. */
  junitPath?: string
  print?: (s: string) => void
  /** Where the gate's threshold settings are read from (default: process.env with the knobs' effective values). */
  env?: NodeJS.ProcessEnv
}

export interface FinalizeResult {
  failed: boolean
  failures: Failure[]
}
const message = (err: unknown) => (err instanceof Error ? err.message : String(err))

export async function finalizeRun(opts: FinalizeOptions): Promise<FinalizeResult> {
  const print = opts.print ?? ((s: string) => console.log(s))
  const k = opts.knobs ?? getKnobs()
  const env = opts.env ?? { ...process.env, ...effectiveEnv(k) }
  const failures: Failure[] = []
  const step = async (what: string, fn: () => unknown | Promise<unknown>) => {
    try {
      await fn()
    } catch (err) {
      failures.push(failure('output_error', `${what}: ${message(err)}`))
      print(`fuze-bench: ${what} failed: ${message(err)}`)
    }
  }

  let run: RunData
  try {
    run = opts.run ?? loadRun(opts.runDir, opts.summary)
  } catch (err) {
    print(`fuze-bench: ${message(err)}`)
    return { failed: true, failures: [failure('no_results', message(err))] }
  }
  for (const w of run.warnings) print(`fuze-bench: note: ${w}`)

  const historyRuns = opts.baselineRuns ?? k.BENCH_BASELINE_RUNS
  let baseline: LoadedBaseline | undefined
  const baselinePath = opts.baseline ?? k.BENCH_BASELINE
  const update = opts.updateBaseline ?? k.BENCH_UPDATE_BASELINE
  // when updating, a baseline that does not exist yet is simply created by the baseline output
  if (baselinePath && !(update && !existsSync(resolve(baselinePath))))
    await step('baseline', () => {
      baseline = readBaselineSource(baselinePath, { excludeRunDir: run.dir, historyRuns, alignTo: run })
    })

  let gate: GateResult | null = null
  await step('gate', () => {
    gate = runGate(run, { baseline, allowClientBound: opts.allowClientBound ?? k.BENCH_ALLOW_CLIENT_BOUND, inconclusive: k.BENCH_GATE_INCONCLUSIVE, env })
  })
  const g = gate as GateResult | null
  // --update-baseline accepts the new numbers: regressions are shown but no longer fail the run
  if (g) failures.push(...(update ? gateFailures({ ...g, regressions: [] }) : gateFailures(g)))

  const junit = opts.junitPath ?? k.BENCH_JUNIT
  const settings: OutputSettings = {
    resultsDir: opts.resultsDir,
    ...(update ? { updateBaseline: baselinePath ?? join('baselines', 'main.json') } : {}),
    ...(junit ? { junitPath: junit } : {}),
    ...(historyRuns !== undefined ? { baselineRuns: historyRuns } : {}),
    env,
  }
  const ctx: OutputContext = { run, gate: g, settings, print, sections: [] }
  for (const out of OUTPUTS) if (out.when === 'end' && out.enabled(settings, ctx)) await step(out.label(settings), () => out.write(ctx))
  return { failed: failures.length > 0, failures }
}
