// End of a run: everything the run folder and the aggregate need, then the verdict.
// Each step runs even when an earlier one failed (a read-only results folder must not also cost the
// report), every failure is a named reason, and nothing is ever half-written (safe-write.ts).
import { existsSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { aggregateRun, identifyRun, mergeAggregate } from './aggregate.ts'
import { baselineFromRun, readBaseline, writeBaseline } from './baseline.ts'
import type { Baseline } from './gate-types.ts'
import { renderGateConsole, renderGateMarkdown, gateReasons } from './gate-report.ts'
import { runGate, type GateResult } from './gate.ts'
import { annotations, appendStepSummary, isGithubActions } from './github.ts'
import { writeReport } from './html.ts'
import { writeJunit } from './junit.ts'
import { loadRun, type RunData } from './run-data.ts'
import { writeFileAtomic } from './safe-write.ts'
import { buildSections, renderConsole, renderMarkdown, type SummarySection } from './summaries.ts'
import { writeSummaryCsv } from './summary-csv.ts'

export interface FinalizeOptions {
  runDir: string
  resultsDir: string
  /** Baseline file; default BENCH_BASELINE. */
  baseline?: string
  /** Rewrite the baseline with this run's numbers (regressions are reported, not failed). Default BENCH_UPDATE_BASELINE=1. */
  updateBaseline?: boolean
  /** Do not fail client-bound cases. Default BENCH_ALLOW_CLIENT_BOUND=1. */
  allowClientBound?: boolean
  /** JUnit XML output; default BENCH_JUNIT. */
  junitPath?: string
  print?: (s: string) => void
  /** Where BENCH_* settings are read from (default process.env); the bench reporter passes the effective knobs incl. env files. */
  env?: NodeJS.ProcessEnv
}

export interface FinalizeResult {
  failed: boolean
  reasons: string[]
}

const flag = (v: string | undefined) => v === '1' || v === 'true'
const message = (err: unknown) => (err instanceof Error ? err.message : String(err))

export async function finalizeRun(opts: FinalizeOptions): Promise<FinalizeResult> {
  const print = opts.print ?? ((s: string) => console.log(s))
  const env = opts.env ?? process.env
  const reasons: string[] = []
  const step = async (what: string, fn: () => unknown | Promise<unknown>) => {
    try {
      await fn()
    } catch (err) {
      reasons.push(`${what}: ${message(err)}`)
      print(`fuze-bench: ${what} failed: ${message(err)}`)
    }
  }

  let run: RunData
  try {
    run = loadRun(opts.runDir)
  } catch (err) {
    print(`fuze-bench: ${message(err)}`)
    return { failed: true, reasons: [message(err)] }
  }
  for (const w of run.warnings) print(`fuze-bench: note: ${w}`)
  const summary = run.summary

  if (summary) await step('summary.csv', () => writeSummaryCsv(run.dir, summary))

  let sections: SummarySection[] = []
  await step(`aggregate ${join(opts.resultsDir, 'benchmarks.csv')}`, async () => {
    const id = identifyRun(run, opts.resultsDir)
    const merged = await mergeAggregate(opts.resultsDir, aggregateRun(id))
    sections = buildSections(merged.rows, {}, { runTs: id.runTs, host: id.host })
    print(renderConsole(sections.filter((s) => s.title === 'Global best per model' || s.title === 'Current run')))
  })

  let baseline: (Baseline & { path: string }) | undefined
  const baselinePath = opts.baseline ?? (env.BENCH_BASELINE || undefined)
  const update = opts.updateBaseline ?? flag(env.BENCH_UPDATE_BASELINE)
  // when updating, a baseline that does not exist yet is simply created below
  if (baselinePath && !(update && !existsSync(resolve(baselinePath))))
    await step('baseline', () => (baseline = readBaseline(resolve(baselinePath))))

  let gate: GateResult | null = null
  await step('gate', () => {
    gate = runGate(run, { baseline, allowClientBound: opts.allowClientBound ?? flag(env.BENCH_ALLOW_CLIENT_BOUND), env })
  })
  const g = gate as GateResult | null
  if (g) {
    print(renderGateConsole(g))
    // --update-baseline accepts the new numbers: regressions are shown above but no longer fail the run
    reasons.push(...(update ? gateReasons({ ...g, regressions: [] }) : gateReasons(g)))
    await step('gate.json', () => writeFileAtomic(join(run.dir, 'gate.json'), `${JSON.stringify(g, null, 1)}\n`))
  }
  if (update) {
    const target = resolve(baselinePath ?? join('baselines', 'main.json'))
    await step(`baseline ${target}`, () => {
      writeBaseline(target, baselineFromRun(run, basename(target, '.json')))
      print(`fuze-bench: baseline written to ${target}`)
    })
  }

  await step('report.html', () => print(`fuze-bench: report ${writeReport(run.dir, run, g)}`))
  const junit = opts.junitPath ?? (env.BENCH_JUNIT || undefined)
  if (junit && g) await step(`JUnit ${junit}`, () => writeJunit(resolve(junit), run, g))
  if (isGithubActions(env) && g) {
    for (const line of annotations(g)) print(line)
    await step('GITHUB_STEP_SUMMARY', () => appendStepSummary(`${renderGateMarkdown(g)}\n${renderMarkdown(sections.filter((s) => s.title === 'Current run'))}`, env))
  }
  return { failed: reasons.length > 0, reasons }
}
