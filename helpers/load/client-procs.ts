// BENCH_CLIENT_PROCS=N: one load case spread over N client processes on this host — the BENCH_SHARD mechanics
// (shardLevel: rate ÷ N, streams and requests split, the workload taken in turns) run by N forked workers
// (client-proc.ts), merged here into the one case. This process only coordinates: it starts the workers, lets each
// warm up, starts every trial at one common instant, relays an error-rate abort, and then folds the workers'
// requests into the case (requests.jsonl, the accumulators, the union's steady window, union-load.ts) exactly as if
// one process had measured them. The verdict judges the busiest worker's event loop.
//
// The workers write their records to their own files under the run folder's .procs/ while they measure (the
// buffered writer, nothing shared), and this process streams them into requests.jsonl once they are done; an
// interrupted case copies what the workers wrote so far, so nothing measured is lost.
import { type ChildProcess, fork } from 'node:child_process'
import { createReadStream, existsSync, mkdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { getKnobs } from '../../env/index.ts'
import type { GpuPin } from '../../fixtures/gpu.ts'
import type { ServerRef } from '../../fixtures/server.ts'
import type { ResolvedModel } from '../../fixtures/stacks/index.ts'
import type { CaseIdent } from '../case-hooks.ts'
import { CaseRun, type LoopStats } from '../case-runner.ts'
import { clientSection } from '../metrics/client-health.ts'
import { requestsWriter, type CaseOptions } from '../case-run.ts'
import { FuzeError } from '../errors.ts'
import type { LoadAcc } from '../metrics/load-summary.ts'
import type { QuantileAcc } from '../metrics/sketch.ts'
import { ensureRunDir } from '../run-dir.ts'
import type { CaseMeta, RequestRecord, WorkloadReport } from '../types.ts'
import type { LoadLevel, LoadOptions } from './plan.ts'
import { shardLevel } from './shard.ts'
import { shareOf } from './shard-spec.ts'
import { levelOf } from './run-load.ts'
import { UnionLoad, type UnionWindow } from './union-load.ts'
import { PrefixCacheAcc } from './workload-stats.ts'

/** What a worker needs to rebuild the case: the server as it runs now, the options, its share of the level. */
export interface ProcInit {
  type: 'init'
  index: number
  count: number
  server: { stack: string; model: string; url: string; unit: 'proc' | 'external'; resolved: ResolvedModel; pin: GpuPin }
  opts: CaseOptions & LoadOptions
  level: LoadLevel
  warmup: number
  ident: { caseName: string; fullName: string; file: string }
  /** Keep this worker's loop turning while it measures (BENCH_BUSY_POLL's choice for `count` polling processes). */
  busyPoll: boolean
}

export type ToProc = ProcInit | { type: 'go'; trial: number; startAt: number } | { type: 'abort'; reason: string } | { type: 'finish' }

export interface TrialDone {
  type: 'trial'
  trial: number
  /** Epoch ms (performance.timeOrigin based) of this worker's measured-phase origin: its records are relative to it. */
  t0Epoch: number
  /** Steady window, ms from the worker's origin. */
  window: UnionWindow | null
  maxInFlight: number
  short: number
  aborted?: string
  /** ms the trial started after the common instant. */
  lateMs: number
  /** The scheduler's dispatch lag of this trial's releases (a QuantileAcc as data: merged, never called). */
  lag: QuantileAcc
}

export interface ProcDone {
  type: 'done'
  loop: LoopStats
  /** CPU time of the worker over its measured phase (user + system), µs. */
  cpuUs: number
  warnings: string[]
  report: WorkloadReport
  prompts: LoadAcc['prompts']
}

export type FromProc = { type: 'ready' } | TrialDone | ProcDone | { type: 'error'; message: string }

/** How far ahead of now the common start of a trial is set: every worker hears of it and arms its timer first. */
const START_AHEAD_MS = 50

const CHILD = fileURLToPath(new URL('./client-proc.ts', import.meta.url))

interface Worker {
  index: number
  child: ChildProcess
  dir: string
  inbox: FromProc[]
  waiting: ((m: FromProc) => void) | null
  exited: string | undefined
  trials: TrialDone[]
}

function next(w: Worker, label: string): Promise<FromProc> {
  const m = w.inbox.shift()
  if (m) return Promise.resolve(m)
  if (w.exited !== undefined) return Promise.reject(new FuzeError(`${label}: client process ${w.index} ${w.exited}`))
  return new Promise((resolve, reject) => {
    w.waiting = (msg) => {
      w.waiting = null
      if (msg.type === 'error') reject(new FuzeError(`${label}: client process ${w.index} failed: ${msg.message}`))
      else resolve(msg)
    }
  })
}

function expect<T extends FromProc['type']>(w: Worker, type: T, label: string): Promise<Extract<FromProc, { type: T }>> {
  return next(w, label).then((m) => {
    if (m.type === 'error') throw new FuzeError(`${label}: client process ${w.index} failed: ${m.message}`)
    if (m.type !== type) throw new FuzeError(`${label}: client process ${w.index} sent '${m.type}' where '${type}' was due (a bug: please report it)`)
    return m as Extract<FromProc, { type: T }>
  })
}

function spawnWorker(index: number, dir: string): Worker {
  mkdirSync(dir, { recursive: true })
  // the worker's requests.jsonl goes to its own folder (FUZE_RUN_DIR); everything else it reads is this process's env
  // its folder on the command line too: `ps` then tells which run a client process belongs to
  const child = fork(CHILD, [dir], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, FUZE_RUN_DIR: dir, FUZE_CLIENT_PROC: String(index) },
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const w: Worker = { index, child, dir, inbox: [], waiting: null, exited: undefined, trials: [] }
  child.on('message', (m: FromProc) => {
    if (w.waiting) w.waiting(m)
    else w.inbox.push(m)
  })
  const gone = (why: string) => {
    w.exited ??= why
    w.waiting?.({ type: 'error', message: why })
  }
  child.on('exit', (code, signal) => gone(`exited (${signal ?? `code ${code}`}) before the case was done; its output is above`))
  child.on('error', (e) => gone(`could not run: ${e.message}`))
  return w
}

/** Most ms a torn-down worker waits for its client processes to write what they measured and exit. */
const STOP_WAIT_MS = 2000

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Synchronously (the worker is being torn down): stop the client processes, let them write what they measured, and
 * fold their records into the case, on this process's timeline, so the interrupted case is reported with them.
 */
function takeInSync(run: CaseRun, workers: Worker[], shiftOf: (w: Worker) => number): void {
  for (const w of workers) w.child.kill('SIGTERM')
  const wait = new Int32Array(new SharedArrayBuffer(4))
  const deadline = Date.now() + STOP_WAIT_MS
  while (workers.some((w) => w.child.exitCode === null && alive(w.child.pid)) && Date.now() < deadline) Atomics.wait(wait, 0, 0, 10)
  const out = requestsWriter()
  for (const w of workers) {
    const path = join(w.dir, 'requests.jsonl')
    if (!existsSync(path)) continue
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line.length === 0) continue
      try {
        out.write(`${fold(run, w, line, shiftOf(w)).line}\n`)
      } catch {
        // a line cut off by the stop: the rest is kept
      }
    }
  }
  removeWorkDirs(workers)
}

/** The workers' folders under the run folder's .procs/ (and .procs itself once no other case uses it). */
function removeWorkDirs(workers: Worker[]): void {
  if (workers.length === 0) return
  const root = dirname(workers[0].dir)
  rmSync(root, { recursive: true, force: true })
  try {
    rmdirSync(dirname(root))
  } catch {
    // another case's workers are still there
  }
}

/** One worker line into the case (timeline shifted to this process's origin); returns the line for requests.jsonl. */
function fold(run: CaseRun, w: Worker, line: string, shift: number, union?: UnionLoad, prefix?: PrefixCacheAcc): { rec: RequestRecord; line: string } {
  const rec = JSON.parse(line) as RequestRecord & { trial?: number }
  // measured requests go on this process's timeline: every worker started at the common instant
  if (rec.phase === 'run') rec.tStartMs += shift
  run.add(rec)
  union?.add(rec)
  prefix?.add(rec)
  return { rec, line: JSON.stringify({ proc: w.index, ...rec }) }
}

/** The records a worker wrote, line by line (its requests.jsonl). */
async function* linesOf(dir: string): AsyncGenerator<string> {
  const path = join(dir, 'requests.jsonl')
  if (!existsSync(path)) return
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })
  for await (const line of rl) if (line.length > 0) yield line
}

/** Whether a level can be spread over client processes (a trace replay and a multi-turn case are one schedule). */
export function spreadable(level: LoadLevel): boolean {
  return level.trace === undefined && level.conversation === undefined
}

export async function runProcsCase(server: ServerRef, opts: CaseOptions & LoadOptions, level: LoadLevel, ident: CaseIdent, procs: number): Promise<CaseMeta> {
  const run = new CaseRun({ kind: 'load', server, opts, ident, ...(opts.slo ? { slo: opts.slo } : {}) }).open()
  try {
    return await spread(run, opts, level, procs, opts.warmup ?? getKnobs().BENCH_WARMUP)
  } finally {
    run.close()
  }
}

async function spread(run: CaseRun, opts: CaseOptions & LoadOptions, level: LoadLevel, procs: number, warmup: number): Promise<CaseMeta> {
  const label = `${run.ident.fullName}: BENCH_CLIENT_PROCS=${procs}`
  // the workers read the streams, so they are the ones kept awake; this process waits
  const busyPoll = run.busyPoll(procs)
  const server = run.server
  const root = join(ensureRunDir(), '.procs', `${process.pid}-${Date.now()}`)
  const workers: Worker[] = []
  // where each worker's timeline sits on this process's: known exactly once it reports a trial, else its start
  let t0Epoch: number | undefined
  let firstStart: number | undefined
  const shiftOf = (w: Worker) => (w.trials[0] && t0Epoch !== undefined ? w.trials[0].t0Epoch - t0Epoch : (firstStart ?? 0))
  // torn down mid-case: the workers stop, and what they measured is folded in before the case is flushed
  run.beforeInterruptFlush = () => takeInSync(run, workers, shiftOf)
  try {
    for (let i = 1; i <= procs; i++) workers.push(spawnWorker(i, join(root, String(i))))
    workers.forEach((w) => {
      const shard = { index: w.index, count: procs }
      const init: ProcInit = {
        type: 'init',
        index: w.index,
        count: procs,
        server: { stack: server.stack.name, model: server.model, url: server.url, unit: server.unit, resolved: { ...server.resolvedModel }, pin: server.pin },
        opts,
        level: shardLevel(level, shard).level,
        warmup: shareOf(warmup, shard),
        ident: { ...run.ident },
        busyPoll,
      }
      try {
        w.child.send(init)
      } catch (e) {
        throw new FuzeError(
          `${label}: the case's options cannot be handed to a client process (${(e as Error).message}); BENCH_CLIENT_PROCS needs plain-data options (no functions): run this case with BENCH_CLIENT_PROCS=1`,
        )
      }
    })
    await Promise.all(workers.map((w) => expect(w, 'ready', label)))

    const origin = performance.timeOrigin + (await run.measure(0))
    t0Epoch = origin
    const trialStart: number[] = []
    for (let trial = 1; trial <= level.trials; trial++) {
      const startAt = performance.timeOrigin + performance.now() + START_AHEAD_MS
      trialStart.push(startAt - origin)
      firstStart ??= startAt - origin
      for (const w of workers) w.child.send({ type: 'go', trial, startAt } satisfies ToProc)
      // the first worker to abort on errors stops the others' trial too
      let aborted: string | undefined
      const done = await Promise.all(
        workers.map(async (w) => {
          const d = await expect(w, 'trial', label)
          if (d.aborted !== undefined && aborted === undefined) {
            aborted = d.aborted
            for (const o of workers) if (o !== w) o.child.send({ type: 'abort', reason: `client process ${w.index}: ${d.aborted}` } satisfies ToProc)
          }
          w.trials.push(d)
          return d
        }),
      )
      if (done.some((d) => d.aborted !== undefined)) break
    }
    for (const w of workers) w.child.send({ type: 'finish' } satisfies ToProc)
    const finals = await Promise.all(workers.map((w) => expect(w, 'done', label)))
    return await merge(run, workers, finals, shiftOf, trialStart, level, procs)
  } catch (e) {
    // what the workers measured before the failure still reaches requests.jsonl
    takeInSync(run, workers, shiftOf)
    throw e
  } finally {
    run.beforeInterruptFlush = undefined
    removeWorkDirs(workers)
  }
}

async function merge(
  run: CaseRun,
  workers: Worker[],
  finals: ProcDone[],
  shiftOf: (w: Worker) => number,
  trialStart: number[],
  level: LoadLevel,
  procs: number,
): Promise<CaseMeta> {
  const union = new UnionLoad(
    workers.map((w) => ({
      windows: w.trials.map((d) => (d.window ? { startMs: d.window.startMs + shiftOf(w), endMs: d.window.endMs + shiftOf(w) } : null)),
      maxInFlight: w.trials.map((d) => d.maxInFlight),
      short: w.trials.map((d) => d.short),
      ...(w.trials.find((d) => d.aborted)?.aborted !== undefined ? { aborted: w.trials.find((d) => d.aborted)!.aborted } : {}),
    })),
    level.shape.mode === 'open' ? (level.shape.rampUpS ?? 0) * 1000 : 0,
    run.slo,
    (t) => trialStart[t - 1] ?? 0,
    false,
    level.shape.mode === 'open',
  )
  for (const w of workers) for (const d of w.trials) union.dispatchLagMs.merge(d.lag)
  const prefix = new PrefixCacheAcc()
  const out = requestsWriter()
  let outputTokens = 0
  for (const w of workers) {
    const shift = shiftOf(w)
    for await (const line of linesOf(w.dir)) {
      const f = fold(run, w, line, shift, union, prefix)
      if (f.rec.phase === 'run' && f.rec.outcome === 'ok') outputTokens += f.rec.outputTokens
      out.write(`${f.line}\n`)
    }
  }
  const first = finals[0]
  const loop: LoopStats = {
    p50Ms: Math.max(...finals.map((f) => f.loop.p50Ms)),
    p99Ms: Math.max(...finals.map((f) => f.loop.p99Ms)),
    maxMs: Math.max(...finals.map((f) => f.loop.maxMs)),
  }
  const load: LoadAcc = {
    level: levelOf(level),
    trials: union.trials(),
    dispatchLagMs: union.dispatchLagMs,
    prompts: {
      ...first.prompts,
      inputTokens: finals.flatMap((f) => f.prompts.inputTokens),
      outputTokensRequested: finals.flatMap((f) => f.prompts.outputTokensRequested),
    },
  }
  const warnings = finals.flatMap((f, i) => f.warnings.map((x) => `client process ${i + 1}: ${x}`))
  for (const w of workers) {
    const late = Math.max(0, ...w.trials.map((d) => d.lateMs))
    if (late >= 5)
      warnings.push(
        `client process ${w.index} started a trial ${late.toFixed(1)} ms after the common instant (a busy host): its load overlapped the others' for less time`,
      )
  }
  run.attach(
    'client',
    clientSection(
      finals.reduce((a, f) => a + f.cpuUs, 0),
      outputTokens,
      workers.map((w, i) => ({
        proc: w.index,
        cpuS: finals[i].cpuUs / 1e6,
        loopDelayMs: finals[i].loop,
        startLateMs: Math.max(0, ...w.trials.map((d) => d.lateMs)),
        offsetMs: shiftOf(w),
      })),
    ),
  )
  const meta = await run.finish({ load, warnings, clients: { loop, procs } })
  const pc = prefix.result()
  meta.summary.workload = { ...first.report, ...(pc ? { prefixCache: pc } : {}) }
  return meta
}
