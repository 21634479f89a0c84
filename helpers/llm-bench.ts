// llmBench(): one bench case = warmup + measured requests through the server's protocol client, with exact
// counts (BENCH_WARMUP / BENCH_REQUESTS) as tinybench iterations, and the case summary attached to
// task.meta.fuze for the reporters (DESIGN.md "Verified vitest 4.1 bench mechanics").
import { bench, TestRunner, type RunnerTestCase as Test } from 'vitest'
import { getKnobs } from '../env/index.ts'
import { onInterrupt } from '../fixtures/process.ts'
import type { ServerRef } from '../fixtures/server.ts'
import { flushInterruptedCase } from './interrupted.ts'
import { caseMeta, sendOne, type CaseIdent, type CaseOptions } from './case-run.ts'
import { clientBoundVerdict, EventLoopMonitor } from './metrics/client-health.ts'
import { planLevels, type LoadOptions } from './load/plan.ts'
import { runCapacityCase } from './load/run-capacity.ts'
import { runLoadCase } from './load/run-load.ts'
import type { CaseMeta, RequestRecord } from './types.ts'

/** Case options plus load options (concurrency, rate, duration, preset, trials, prompt lengths, SLOs). */
export type LlmBenchOptions = CaseOptions & LoadOptions

/** The case being measured now, so an interrupted worker can still flush what it has. */
export interface ActiveCase {
  ident: CaseIdent
  records: RequestRecord[]
  server: ServerRef
  opts: CaseOptions
}
let active: ActiveCase | undefined

export function activeCase(): ActiveCase | undefined {
  return active
}

// an interrupted worker still reports the running case (row + summary entry marked incomplete)
onInterrupt(() => flushInterruptedCase(active))

/** `describe > … > case`, without the file. */
export function fullNameOf(task: Test): string {
  const names = [task.name]
  for (let s = task.suite; s && s !== task.file && s.name; s = s.suite) names.unshift(s.name)
  return names.join(' > ')
}

/** The task vitest just registered (DESIGN.md: capture it right after bench()). */
export function lastTask(): Test | undefined {
  return TestRunner.getCurrentSuite().tasks.at(-1) as Test | undefined
}

/**
 * Register one bench case — or, for load options (several concurrency levels, a rate list, a duration, a preset,
 * trials), one task per level named `name [c=4]` / `name [rate=2/s]`. A load task runs its whole scheduled phase
 * (warmup included, tagged 'warmup') inside one tinybench iteration, so request counts stay exact.
 */
export function llmBench(name: string, server: ServerRef, opts: LlmBenchOptions = {}): void {
  const knobs = getKnobs()
  if (opts.capacity !== undefined || knobs.BENCH_CAPACITY) {
    // BENCH_CAPACITY=1 turns the case as written (prompt, lengths, SLOs) into a search over request rates
    const log = (s: string) => console.log(`[${server.stack.name} ${server.model}] ${name}: ${s}`)
    return loadBench(name, server, opts, (ident, records) => runCapacityCase(server, opts, ident, records, log))
  }
  const levels = planLevels(opts, knobs)
  if (levels === null) return sequentialBench(name, server, opts)
  for (const level of levels) loadBench(name + level.suffix, server, opts, (ident, records) => runLoadCase(server, opts, level, ident, records))
}

function loadBench(name: string, server: ServerRef, opts: LlmBenchOptions, run: (ident: CaseIdent, records: RequestRecord[]) => Promise<CaseMeta>): void {
  const ident: CaseIdent = { caseName: name, fullName: name, file: '' }
  let task: Test | undefined
  bench.skipIf(server.skipReason !== undefined)(
    name,
    async () => {
      const records: RequestRecord[] = []
      active = { ident, records, server, opts }
      try {
        const meta = await run(ident, records)
        if (task) task.meta.fuze = meta
      } finally {
        active = undefined
      }
    },
    { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
  )
  task = lastTask()
  if (task) {
    ident.file = task.file?.name ?? ''
    ident.fullName = fullNameOf(task)
    if (server.skipReason) task.meta.fuzeSkip = server.skipReason
  }
}

function sequentialBench(name: string, server: ServerRef, opts: CaseOptions): void {
  const knobs = getKnobs()
  const ident: CaseIdent = { caseName: name, fullName: name, file: '' }
  let phase: 'warmup' | 'run' = 'warmup'
  let records: RequestRecord[] = []
  let caseT0 = 0
  let started = false
  let task: Test | undefined
  const monitor = new EventLoopMonitor()

  bench.skipIf(server.skipReason !== undefined)(
    name,
    async () => {
      records.push(await sendOne(server, opts, ident, phase, caseT0))
    },
    {
      iterations: opts.requests ?? knobs.BENCH_REQUESTS,
      time: 0,
      warmupIterations: opts.warmup ?? knobs.BENCH_WARMUP,
      warmupTime: 0,
      setup: (_t, mode) => {
        phase = mode
        if (!started) {
          // first phase of this case (tinybench skips the warmup phase when it has 0 iterations)
          started = true
          records = []
          active = { ident, records, server, opts }
        }
        caseT0 = performance.now()
        if (mode === 'run') monitor.start()
      },
      teardown: (_t, mode) => {
        if (mode !== 'run' || !task) return
        const loop = monitor.stop()
        const meta = caseMeta(server, opts, ident, records)
        // self-calibration: a client too busy to timestamp on time makes every figure suspect
        const s = meta.summary
        s.clientHealth = { loopDelayP50Ms: loop.p50Ms, loopDelayP99Ms: loop.p99Ms, loopDelayMaxMs: loop.maxMs, dispatchLagP99Ms: 0 }
        const verdict = clientBoundVerdict({ loopDelayP50Ms: loop.p50Ms, loopDelayP99Ms: loop.p99Ms, dispatchLagP99Ms: 0, ttftP50Ms: s.ttftMs.p50, itlP50Ms: s.itlMs.p50, e2eP50Ms: s.e2eMs.p50 })
        if (verdict.clientBound && verdict.reason) s.failures.push(verdict.reason)
        task.meta.fuze = meta
        active = undefined
        started = false
      },
    },
  )
  task = lastTask()
  if (task) {
    ident.file = task.file?.name ?? ''
    ident.fullName = fullNameOf(task)
    if (server.skipReason) task.meta.fuzeSkip = server.skipReason
  }
}
