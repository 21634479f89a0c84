// One client process of a BENCH_CLIENT_PROCS case (started by client-procs.ts with `node --import tsx`, an IPC
// channel and FUZE_RUN_DIR set to its own folder). It rebuilds the case from the init message — the running server
// by URL, the options, its shard of the level — prepares the workload, warms up, and then runs each trial from the
// common instant the coordinator names, with the scheduler and request path every load case uses. Its records go to
// its own requests.jsonl (the buffered writer); the coordinator merges them. If the coordinator goes away, it flushes
// what it measured and exits.
import { getKnobs } from '../../env/index.ts'
import type { ServerRef } from '../../fixtures/server.ts'
import { stackDef, type StackName } from '../../fixtures/stacks/index.ts'
import type { CaseOptions } from '../case-run.ts'
import { requestsWriter, sendOne } from '../case-run.ts'
import { EventLoopMonitor } from '../metrics/client-health.ts'
import { BusyPoll } from './busy-poll.ts'
import { TrialAcc } from '../metrics/load-summary.ts'
import { QuantileAcc } from '../metrics/sketch.ts'
import { createClient, type ProtocolClient, type ProtocolName } from '../protocols/index.ts'
import { flushAllSync } from '../records-writer.ts'
import type { RequestRecord } from '../types.ts'
import { DEFAULT_ABORT_ERROR_RATE, DEFAULT_ABORT_MIN_REQUESTS, errorRateAbort } from './abort.ts'
import type { FromProc, ProcInit, ToProc } from './client-procs.ts'
import { prepareLoad, type PreparedLoad } from './run-load.ts'
import { HANDOVER_MS, inFlightCap, runSchedule, type SendSlot } from './scheduler.ts'

const post = (m: FromProc) => process.send?.(m)

/** The server the coordinator measures, by URL: what the request path needs of a ServerRef, nothing it starts or stops. */
function remoteServer(init: ProcInit['server']): ServerRef {
  const stack = stackDef(init.stack as StackName)
  const knobs = getKnobs()
  const clients = new Map<ProtocolName, ProtocolClient>()
  const notHere = (what: string) => () => {
    throw new Error(`${what} is the coordinating process's job, not a client process's`)
  }
  return {
    stack,
    model: init.model,
    options: { stack, model: init.model },
    skipReason: undefined,
    url: init.url,
    unit: init.unit,
    pin: init.pin,
    resolvedModel: init.resolved,
    logPath: undefined,
    gpuLayers: undefined,
    client(protocol: ProtocolName = stack.protocol) {
      let c = clients.get(protocol)
      if (!c) {
        c = createClient(protocol, init.url, { headers: stack.headers?.(knobs) ?? {} })
        clients.set(protocol, c)
      }
      return c
    },
    rowContext: notHere('the CSV row'),
    restart: notHere('restarting the server'),
    start: notHere('starting the server'),
    stop: notHere('stopping the server'),
  }
}

let init: ProcInit | undefined
let prep: PreparedLoad | undefined
let t0 = 0
let started = false
let abortReason: string | undefined
const monitor = new EventLoopMonitor()
const poll = new BusyPoll()
let cpu0: NodeJS.CpuUsage | undefined

async function prepare(msg: ProcInit): Promise<void> {
  init = msg
  const server = remoteServer(msg.server)
  const knobs = getKnobs()
  const opts: CaseOptions = msg.opts
  // the request path of CaseRun.send, on this process's own timeline origin t0
  const runLike = {
    server,
    ident: msg.ident,
    send: (phase: 'warmup' | 'run', tDue?: number, more = {}, o: CaseOptions = opts) => sendOne(server, o, msg.ident, phase, t0, tDue, { knobs, ...more }),
  }
  prep = await prepareLoad(runLike, msg.opts, msg.level)
  const level = prep.level
  if (msg.warmup > 0) {
    t0 = performance.now()
    await runSchedule({ mode: 'closed', concurrency: Math.max(1, Math.min(msg.warmup, inFlightCap(level.shape) ?? 1)) }, { count: msg.warmup }, (slot) =>
      prep!.send('warmup', slot, 0).then((x) => x.rec),
    )
  }
  await prep.preconnect()
  post({ type: 'ready' })
}

/** Wait for an epoch instant (performance.timeOrigin based): a timer to just before it, then the last ms by turns. */
async function until(epochMs: number): Promise<void> {
  const now = () => performance.timeOrigin + performance.now()
  const wait = epochMs - now() - 2
  if (wait > 0) await new Promise((r) => setTimeout(r, wait))
  while (now() < epochMs) await new Promise((r) => setImmediate(r))
}

async function trial(n: number, startAt: number): Promise<void> {
  const p = prep!
  const level = p.level
  await until(startAt)
  const lateMs = Math.max(0, performance.timeOrigin + performance.now() - startAt)
  if (!started) {
    started = true
    t0 = performance.now()
    monitor.start()
    if (init!.busyPoll) poll.start()
    cpu0 = process.cpuUsage()
  }
  const acc = new TrialAcc(n, level.shape.mode === 'open' ? (level.shape.rampUpS ?? 0) * 1000 : 0, {})
  const own = errorRateAbort(init!.opts.abortErrorRate ?? DEFAULT_ABORT_ERROR_RATE, init!.opts.abortMinRequests ?? DEFAULT_ABORT_MIN_REQUESTS)
  const check = (r: RequestRecord) => (abortReason !== undefined ? `aborted: ${abortReason}` : own(r))
  const lag = new QuantileAcc()
  const send = async (slot: SendSlot): Promise<RequestRecord> => {
    const { rec, item } = await p.send('run', slot, n)
    p.note(rec)
    const w = slot.window()
    acc.add(
      rec,
      { startMs: w.start === undefined ? undefined : w.start - t0, endMs: w.end - t0 },
      rec.promptTokensServer ?? item.promptTokens ?? 0,
      item.maxTokens,
    )
    return rec
  }
  const observer = { release: (l: number) => lag.add(l) }
  const res = await runSchedule(level.shape, level.bounds, send, check, observer, HANDOVER_MS)
  post({
    type: 'trial',
    trial: n,
    t0Epoch: performance.timeOrigin + t0,
    window: res.steady ? { startMs: res.steady.start - t0, endMs: res.steady.end - t0 } : null,
    maxInFlight: res.maxInFlight,
    short: acc.short,
    ...(res.aborted !== undefined ? { aborted: res.aborted } : {}),
    lateMs,
    lag,
  })
}

async function finish(): Promise<void> {
  const p = prep!
  poll.stop()
  const loop = monitor.stop()
  const cpu = process.cpuUsage(cpu0)
  await requestsWriter().flush()
  const acc = p.loadAcc(p.level, [], new QuantileAcc())
  post({ type: 'done', loop, cpuUs: cpu.user + cpu.system, warnings: p.warnings(), report: p.report(), prompts: acc.prompts })
  process.disconnect?.()
}

// one message at a time, in order: init, then go per trial, then finish
let chain = Promise.resolve()
process.on('message', (m: ToProc) => {
  if (m.type === 'abort') {
    abortReason ??= m.reason
    return
  }
  chain = chain
    .then(() => (m.type === 'init' ? prepare(m) : m.type === 'go' ? trial(m.trial, m.startAt) : finish()))
    .catch((e: unknown) => {
      post({ type: 'error', message: e instanceof Error ? e.message : String(e) })
      flushAllSync()
      process.exit(1)
    })
})

// the coordinator is gone (its worker was torn down): keep what was measured, then stop
const leave = () => {
  poll.stop()
  flushAllSync()
  process.exit(0)
}
process.on('disconnect', leave)
process.on('SIGTERM', leave)
