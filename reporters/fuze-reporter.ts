// The vitest reporter (main process): writes the run folder as cases finish, prints the summary table,
// and fails the run (process.exitCode) on cases with zero samples or only failed requests.
// Registered at the root `benchmark.reporters` next to 'default' (docs/design.md: module events can fire twice — idempotent).
import { relative } from 'node:path'
import type { Reporter, TestCase, TestModule } from 'vitest/node'
import { failure, type Failure } from '../helpers/failure.ts'
import type { CaseMeta } from '../helpers/types.ts'
import { isoWithOffset, runDir as currentRunDir, runId as currentRunId, ensureRunDir, resultsDir } from '../helpers/run-dir.ts'
import { getKnobs } from '../env/index.ts'
import { caseTable } from './console-table.ts'
import { appendCsv16Row, caseFromMeta, newRunSummary, writeSummaryJson, type RunSummary } from './run-folder.ts'

export type FinishHook = (run: {
  runDir: string
  resultsDir: string
  summary: RunSummary
  print: (s: string) => void
}) => Promise<{ failed: boolean; failures: Failure[] }>

export class FuzeReporter implements Reporter {
  private seen = new Set<string>()
  private skippedFiles = new Set<string>()
  private failures: Failure[] = []
  private writeErrors: string[] = []
  private summary: RunSummary
  private dir: string
  private anyCase = false

  constructor(private readonly opts: { finish?: FinishHook; print?: (s: string) => void } = {}) {
    this.dir = currentRunDir()
    this.summary = newRunSummary(currentRunId(), isoWithOffset())
  }

  private print(s: string): void {
    ;(this.opts.print ?? ((x: string) => process.stdout.write(`${x}\n`)))(s)
  }

  private guard(fn: () => void): void {
    try {
      fn()
    } catch (e) {
      const msg = (e as Error).message
      if (!this.writeErrors.includes(msg)) {
        this.writeErrors.push(msg)
        this.print(`fuze-bench: ${msg}`)
      }
    }
  }

  onTestCaseResult(testCase: TestCase): void {
    if (this.seen.has(testCase.id)) return
    this.seen.add(testCase.id)
    const meta = testCase.meta() as { fuze?: CaseMeta; fuzeVariants?: CaseMeta[]; fuzeSkip?: string; benchmark?: boolean }
    const file = relative(process.cwd(), testCase.module.moduleId)
    if (meta.fuzeSkip) {
      if (!this.skippedFiles.has(file)) {
        this.skippedFiles.add(file)
        this.summary.skipped.push({ file, reason: meta.fuzeSkip })
        this.print(`skipped ${file}: ${meta.fuzeSkip}`)
      }
      return
    }
    const state = testCase.result().state
    const metas = [...(meta.fuzeVariants ?? []), ...(meta.fuze ? [meta.fuze] : [])]
    if (metas.length === 0) {
      // a bench that threw is reported "passed with 0 samples" by vitest; ours always carry meta.fuze
      if (state === 'passed' && meta.benchmark && this.isFuzeFile(testCase)) {
        this.failures.push(failure('zero_samples', `${testCase.fullName}: no measured samples (the bench function failed before measuring anything)`))
      }
      return
    }
    this.anyCase = true
    ensureRunDir()
    for (const m of metas) {
      const c = caseFromMeta(m)
      this.summary.cases.push(c)
      for (const f of c.summary.failures) {
        // BENCH_ALLOW_CLIENT_BOUND=1 accepts client-bound cases, as the failure text and the gate say
        if (f.code === 'client_bound' && getKnobs().BENCH_ALLOW_CLIENT_BOUND) continue
        this.failures.push({ ...f, message: `${c.stack} ${c.model} › ${c.fullName}: ${f.message}` })
      }
      this.guard(() => appendCsv16Row(this.dir, m))
    }
    this.guard(() => writeSummaryJson(this.dir, this.summary))
  }

  /** Harness self-benchmarks and the peer-tool comparison don't go through llmBench; everything under benches/<stack>/ does. */
  private isFuzeFile(testCase: TestCase): boolean {
    return !/benches[\\/](harness|peers)[\\/]/.test(testCase.module.moduleId)
  }

  async onTestRunEnd(_modules: ReadonlyArray<TestModule>, _errors: ReadonlyArray<unknown>, reason: string): Promise<void> {
    if (!this.anyCase && this.failures.length === 0) return
    this.summary.finishedAt = isoWithOffset()
    this.summary.incomplete = reason === 'interrupted'
    this.guard(() => writeSummaryJson(this.dir, this.summary))
    if (this.summary.cases.length > 0) {
      this.print(`\n${caseTable(this.summary.cases)}`)
      for (const c of this.summary.cases) for (const w of c.summary.warnings) this.print(`warning: ${c.stack} ${c.model} › ${c.fullName}: ${w}`)
    }
    let failed = false
    if (this.opts.finish) {
      try {
        const r = await this.opts.finish({ runDir: this.dir, resultsDir: resultsDir(), summary: this.summary, print: (s) => this.print(s) })
        if (r.failed) {
          failed = true
          this.failures.push(...r.failures)
        }
      } catch (e) {
        this.failures.push(failure('output_error', `finishing the run failed: ${(e as Error).message}`))
      }
    }
    const rel = relative(process.cwd(), this.dir)
    this.print(`\nresults: ${rel && !rel.startsWith('..') ? rel : this.dir}/ (bench.csv, summary.json, requests.jsonl, logs/)`)
    if (this.failures.length > 0 || this.writeErrors.length > 0) {
      for (const f of this.failures) this.print(`FAIL ${f.message}`)
      process.exitCode = 1
    } else if (failed) {
      process.exitCode = 1
    }
  }
}
