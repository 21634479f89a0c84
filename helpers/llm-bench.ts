// llmBench(): one bench case = warmup + measured requests through the server's protocol client, with exact
// counts (BENCH_WARMUP / BENCH_REQUESTS) as tinybench iterations, and the case summary attached to
// task.meta.fuze for the reporters (docs/design.md "Verified vitest 4.1 bench mechanics"). Both shapes run on
// CaseRun (case-runner.ts): the same calibration, interrupt flush, records, meta and case hooks.
import { bench, TestRunner, type RunnerTestCase as Test } from 'vitest'
import { getKnobs, type Knobs } from '../env/index.ts'
import type { ServerRef } from '../fixtures/server.ts'
import type { CaseIdent } from './case-hooks.ts'
import type { CaseOptions } from './case-run.ts'
import { CaseRun } from './case-runner.ts'
import { planLevels, type LoadOptions } from './load/plan.ts'
import { runProcsCase, spreadable } from './load/client-procs.ts'
import { runCapacityCase } from './load/run-capacity.ts'
import { runLoadCase } from './load/run-load.ts'
import { shardLevel } from './load/shard.ts'
import { shardLabel, shareOf } from './load/shard-spec.ts'
import type { CaseMeta } from './types.ts'

/** Case options plus load options (concurrency, rate, duration, preset, trials, prompt lengths, SLOs). */
export type LlmBenchOptions = CaseOptions & LoadOptions

/** `describe > … > case`, without the file. */
export function fullNameOf(task: Test): string {
  const names = [task.name]
  for (let s = task.suite; s && s !== task.file && s.name; s = s.suite) names.unshift(s.name)
  return names.join(' > ')
}

/** The task vitest just registered (docs/design.md: capture it right after bench()). */
export function lastTask(): Test | undefined {
  return TestRunner.getCurrentSuite().tasks.at(-1) as Test | undefined
}

/**
 * Register one bench case — or, for load options (several concurrency levels, a rate list, a duration, a preset,
 * trials), one task per level named `name [c=4]` / `name [rate=2/s]`. A load task runs its whole scheduled phase
 * (warmup included, tagged 'warmup') inside one tinybench iteration, so request counts stay exact.
 */
export function llmBench(name: string, server: ServerRef, given: LlmBenchOptions = {}): void {
  const knobs = getKnobs()
  const opts = knobs.BENCH_TRACE && given.capacity === undefined && !knobs.BENCH_CAPACITY ? asTraceReplay(given, knobs) : given
  if (opts.capacity !== undefined || knobs.BENCH_CAPACITY) {
    // BENCH_CAPACITY=1 turns the case as written (prompt, lengths, SLOs) into a search over request rates
    const log = (s: string) => console.log(`[${server.stack.name} ${server.model}] ${name}: ${s}`)
    return loadBench(name, server, (ident) =>
      runCapacityCase(server, opts, ident, log).then((meta) => (knobs.BENCH_CLIENT_PROCS > 1 ? oneProcess(meta, 'a capacity search') : meta)),
    )
  }
  const shard = knobs.BENCH_SHARD
  const levels = planLevels(opts, knobs)
  if (levels === null) {
    if (!shard) return sequentialBench(name, server, opts)
    // BENCH_SHARD: this process measures its share of the case's requests (shard.ts)
    const requests = shareOf(opts.requests ?? knobs.BENCH_REQUESTS, shard)
    const empty = requests === 0 ? `shard ${shardLabel(shard)} has no request of this case` : undefined
    return sequentialBench(name, server, { ...opts, requests }, empty)
  }
  const procs = knobs.BENCH_CLIENT_PROCS
  for (const level of levels) {
    const mine = shard ? shardLevel(level, shard) : { level }
    // BENCH_CLIENT_PROCS: the case (or this shard's part of it) measured by several client processes (client-procs.ts)
    const runIt =
      procs > 1 && spreadable(mine.level)
        ? (ident: CaseIdent) => runProcsCase(server, opts, mine.level, ident, procs)
        : procs > 1
          ? (ident: CaseIdent) =>
              runLoadCase(server, opts, mine.level, ident).then((meta) => oneProcess(meta, mine.level.trace ? 'a trace replay' : 'a multi-turn case'))
          : (ident: CaseIdent) => runLoadCase(server, opts, mine.level, ident)
    loadBench(name + level.suffix, server, runIt, mine.empty)
  }
}

/**
 * BENCH_TRACE=<file> turns the case as written into a replay of that trace (as BENCH_CAPACITY=1 turns it into a
 * capacity search): the trace gives each request's time and token lengths; the case keeps its protocol, SLOs and
 * its concurrency as the in-flight cap (one number; a closed-loop list has no single cap and is dropped).
 */
function asTraceReplay(opts: LlmBenchOptions, knobs: Knobs): LlmBenchOptions {
  const {
    concurrency,
    rate: _rate,
    maxConcurrency,
    duration: _duration,
    preset: _preset,
    trials: _trials,
    conversation: _conversation,
    trace: _trace,
    arrival: _arrival,
    ...rest
  } = opts as LlmBenchOptions & Record<string, unknown>
  const cap = typeof maxConcurrency === 'number' ? maxConcurrency : typeof concurrency === 'number' ? concurrency : undefined
  const trace = {
    file: knobs.BENCH_TRACE!,
    timeScale: knobs.BENCH_TRACE_TIME_SCALE,
    ...(knobs.BENCH_TRACE_LIMIT !== undefined ? { limit: knobs.BENCH_TRACE_LIMIT } : {}),
    ...(knobs.BENCH_TRACE_MAX_INPUT_TOKENS !== undefined ? { maxInputTokens: knobs.BENCH_TRACE_MAX_INPUT_TOKENS } : {}),
    ...(knobs.BENCH_TRACE_MAX_OUTPUT_TOKENS !== undefined ? { maxOutputTokens: knobs.BENCH_TRACE_MAX_OUTPUT_TOKENS } : {}),
  }
  return { ...rest, trace, ...(cap !== undefined ? { concurrency: cap } : {}) } as LlmBenchOptions
}

/** A case BENCH_CLIENT_PROCS does not spread (one schedule that cannot be split) says so. */
function oneProcess(meta: CaseMeta, what: string): CaseMeta {
  meta.summary.warnings.push(`BENCH_CLIENT_PROCS=${getKnobs().BENCH_CLIENT_PROCS} does not apply to ${what}: it ran in one client process`)
  return meta
}

/** Fill in the file and describe path once vitest has registered the task. */
function register(ident: CaseIdent, server: ServerRef, skip?: string): Test | undefined {
  const task = lastTask()
  if (task) {
    ident.file = task.file?.name ?? ''
    ident.fullName = fullNameOf(task)
    if (server.skipReason ?? skip) task.meta.fuzeSkip = server.skipReason ?? skip
  }
  return task
}

/** One task that runs a whole case (a scheduled phase, a capacity search) inside one tinybench iteration. */
function loadBench(name: string, server: ServerRef, runCase: (ident: CaseIdent) => Promise<CaseMeta>, skip?: string): void {
  const ident: CaseIdent = { caseName: name, fullName: name, file: '' }
  let task: Test | undefined
  bench.skipIf(server.skipReason !== undefined || skip !== undefined)(
    name,
    async () => {
      const meta = await runCase(ident)
      if (task) task.meta.fuze = meta
    },
    { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
  )
  task = register(ident, server, skip)
}

/**
 * One tinybench iteration per request, so vitest's own table shows per-request times. The case ends inside the
 * last measured iteration (its end hooks are awaited there: tinybench does not await teardown); a case whose
 * iterations stopped early (a throwing bench) is concluded in teardown.
 */
function sequentialBench(name: string, server: ServerRef, opts: CaseOptions, skip?: string): void {
  const knobs = getKnobs()
  const ident: CaseIdent = { caseName: name, fullName: name, file: '' }
  const requests = opts.requests ?? knobs.BENCH_REQUESTS
  let phase: 'warmup' | 'run' = 'warmup'
  let run: CaseRun | undefined
  let measured = 0
  let task: Test | undefined

  bench.skipIf(server.skipReason !== undefined || skip !== undefined)(
    name,
    async () => {
      if (!run) return
      run.add(await run.send(phase))
      if (phase === 'run' && ++measured === requests && task) task.meta.fuze = await run.finish()
    },
    {
      iterations: requests,
      time: 0,
      warmupIterations: opts.warmup ?? knobs.BENCH_WARMUP,
      warmupTime: 0,
      setup: async (_t, mode) => {
        phase = mode
        // first phase of this case (tinybench skips the warmup phase when it has 0 iterations)
        if (!run || run.finished) {
          run = new CaseRun({ kind: 'sequential', server, opts, ident }).open()
          measured = 0
        }
        if (mode === 'run') await run.measure()
      },
      teardown: (_t, mode) => {
        if (mode !== 'run' || !run || run.finished || !task) return
        const r = run
        const meta = r.conclude()
        task.meta.fuze = meta
        void r.endHooks(meta)
      },
    },
  )
  task = register(ident, server, skip)
}
