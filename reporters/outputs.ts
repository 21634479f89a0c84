// Every file (and console section) a run produces, one entry each: what it is, when it is wanted, how it is written.
// `live` entries are written while the run goes (the worker appends requests.jsonl, the reporter appends bench.csv
// and rewrites summary.json); their write() rebuilds the whole file from a RunData, for a run folder made from
// others (fuze-bench merge). `end` entries are what finalizeRun writes, in this order, once the verdict is known.
// A new output = one entry here; finalize (and merge) loop over the list.
import { join, resolve } from 'node:path'
import { aggregateRun, identifyRun, mergeAggregate } from './aggregate.ts'
import { updateBaseline, writeBaseline } from './baseline.ts'
import { CSV16_HEADER_LINE, csv16Fields, csvLine } from './csv16.ts'
import { renderGateConsole, renderGateMarkdown } from './gate-report.ts'
import type { GateResult } from './gate.ts'
import { annotations, appendStepSummary, isGithubActions } from './github.ts'
import { writeReport } from './html.ts'
import { writeJunit } from './junit.ts'
import { allRequests, type RunData } from './run-data.ts'
import { writeFileAtomic } from './safe-write.ts'
import { buildSections, renderConsole, renderMarkdown, type SummarySection } from './summaries.ts'
import { writeSummaryCsv } from './summary-csv.ts'

/** The settings that decide which outputs are wanted (from FinalizeOptions / the effective knobs). */
export interface OutputSettings {
  resultsDir: string
  /** BENCH_UPDATE_BASELINE: rewrite this baseline file with the run's numbers. */
  updateBaseline?: string
  /** BENCH_JUNIT */
  junitPath?: string
  /** BENCH_BASELINE_RUNS: runs kept per case when the baseline is rewritten. */
  baselineRuns?: number
  /** The environment (GitHub Actions' variables for the step summary). */
  env: NodeJS.ProcessEnv
}

export interface OutputContext {
  run: RunData
  /** null when the gate could not be computed (its failure is already a reason). */
  gate: GateResult | null
  settings: OutputSettings
  print: (s: string) => void
  /** Summary sections built by the aggregate entry, rendered again by the GitHub step summary. */
  sections: SummarySection[]
}

export interface Output {
  /** Names the output in a failure reason: `<label>: <error>`. */
  label: (s: OutputSettings) => string
  when: 'live' | 'end'
  enabled: (s: OutputSettings, c: OutputContext) => boolean
  write: (c: OutputContext) => void | Promise<void>
}

const always = () => true
const withGate = (_: OutputSettings, c: OutputContext) => c.gate !== null

export const OUTPUTS: readonly Output[] = [
  {
    label: () => 'requests.jsonl',
    when: 'live',
    enabled: always,
    write: ({ run }) =>
      writeFileAtomic(
        join(run.dir, 'requests.jsonl'),
        allRequests(run)
          .map((r) => `${JSON.stringify(r)}\n`)
          .join(''),
      ),
  },
  {
    label: () => 'bench.csv',
    when: 'live',
    enabled: (_, c) => c.run.summary !== null,
    write: ({ run }) =>
      writeFileAtomic(
        join(run.dir, 'bench.csv'),
        CSV16_HEADER_LINE + (run.summary?.cases ?? []).map((c) => csvLine(csv16Fields(c.finishedAt, c.row, c.summary.tokensPerSec))).join(''),
      ),
  },
  {
    label: () => 'summary.json',
    when: 'live',
    enabled: (_, c) => c.run.summary !== null,
    write: ({ run }) => writeFileAtomic(join(run.dir, 'summary.json'), `${JSON.stringify(run.summary, null, 2)}\n`),
  },
  {
    label: () => 'summary.csv',
    when: 'end',
    enabled: (_, c) => c.run.summary !== null,
    write: ({ run }) => void writeSummaryCsv(run.dir, run.summary!),
  },
  {
    // results/benchmarks.csv, the best-of files it rebuilds, and the summaries printed from it
    label: (s) => `aggregate ${join(s.resultsDir, 'benchmarks.csv')}`,
    when: 'end',
    enabled: always,
    write: async (c) => {
      const id = identifyRun(c.run, c.settings.resultsDir)
      const merged = await mergeAggregate(c.settings.resultsDir, aggregateRun(id))
      c.sections = buildSections(merged.rows, {}, { runTs: id.runTs, host: id.host })
      c.print(renderConsole(c.sections.filter((s) => s.title === 'Global best per model' || s.title === 'Current run')))
    },
  },
  {
    label: () => 'gate verdict',
    when: 'end',
    enabled: withGate,
    write: (c) => c.print(renderGateConsole(c.gate!)),
  },
  {
    label: () => 'gate.json',
    when: 'end',
    enabled: withGate,
    write: (c) => writeFileAtomic(join(c.run.dir, 'gate.json'), `${JSON.stringify(c.gate, null, 1)}\n`),
  },
  {
    label: (s) => `baseline ${resolve(s.updateBaseline ?? '')}`,
    when: 'end',
    enabled: (s) => s.updateBaseline !== undefined,
    write: (c) => {
      const target = resolve(c.settings.updateBaseline!)
      const b = updateBaseline(target, c.run, c.settings.baselineRuns)
      writeBaseline(target, b)
      c.print(`fuze-bench: baseline written to ${target} (${b.runIds.length} run${b.runIds.length === 1 ? '' : 's'}: ${b.runIds.join(', ')})`)
    },
  },
  {
    label: () => 'report.html',
    when: 'end',
    enabled: always,
    write: (c) => c.print(`fuze-bench: report ${writeReport(c.run.dir, c.run, c.gate)}`),
  },
  {
    label: (s) => `JUnit ${s.junitPath}`,
    when: 'end',
    enabled: (s, c) => s.junitPath !== undefined && c.gate !== null,
    write: (c) => writeJunit(resolve(c.settings.junitPath!), c.run, c.gate!),
  },
  {
    // annotations go to the log (GitHub turns ::error lines into annotations), the markdown to the job summary
    label: () => 'GITHUB_STEP_SUMMARY',
    when: 'end',
    enabled: (s, c) => isGithubActions(s.env) && c.gate !== null,
    write: (c) => {
      for (const line of annotations(c.gate!)) c.print(line)
      appendStepSummary(`${renderGateMarkdown(c.gate!)}\n${renderMarkdown(c.sections.filter((s) => s.title === 'Current run'))}`, c.settings.env)
    },
  },
]
