// The one case runner: every measured case — sequential (one tinybench iteration per request), load (a scheduled
// phase inside one iteration), sweep variant, and any case kind added later — goes through a CaseRun, so each gets
// the same self-calibration (event-loop monitor over the measured phase + client-bound verdict), the same
// interruption flush (the running case is written, marked incomplete, if the worker is torn down), the same
// records (requests.jsonl) and the same meta (summary + CSV row), and the lifecycle hooks of helpers/case-hooks.ts.
//
// Building a new case kind on it (multi-turn, trace replay, capacity search, …):
//   const run = new CaseRun({ kind: 'trace', server, opts, ident })
//   run.open()                                   // it is now the case an interrupt flushes
//   …warmup: run.add(await run.send('warmup'))…
//   const t0 = await run.measure()               // measured phase starts: monitor on, onCaseStart hooks
//   …run.add(await run.send('run', { tDue, signal }))…
//   const meta = await run.finish({ load })      // summary, verdict, onCaseEnd hooks; the case is closed
// `finish` takes a LoadAcc for scheduled phases (steady state, goodput, trials) and extra warnings.
//
// Bounded state: a record is folded into the case's CaseAccumulator (metrics/accumulator.ts) and written to
// requests.jsonl (buffered, records-writer.ts) as it arrives, then dropped — memory per case does not depend on
// the request count. Whoever needs the records later streams requests.jsonl.
import { availableParallelism } from 'node:os'
import { onInterrupt } from '../fixtures/process.ts'
import type { ServerRef } from '../fixtures/server.ts'
import { runCaseEnd, runCaseStart, type CaseContext, type CaseIdent, type CaseKind } from './case-hooks.ts'
import { caseMeta, requestsWriter, sendOne, sloFromKnobs, type CaseOptions, type SendExtras } from './case-run.ts'
import { failure } from './failure.ts'
import { flushInterruptedCase } from './interrupted.ts'
import { CaseAccumulator } from './metrics/accumulator.ts'
import { clientBoundVerdict, EventLoopMonitor, StallWatch } from './metrics/client-health.ts'
import { BusyPoll, busyPollChoice, serverComputesHere } from './load/busy-poll.ts'
import type { LoadAcc } from './metrics/load-summary.ts'
// registers the one-line progress report of every finished case (an onCaseEnd hook)
import './progress.ts'
import { flushAllSync } from './records-writer.ts'
import type { CaseMeta, CaseSummary, Dist, RequestRecord, SloSpec } from './types.ts'
import { getKnobs, pinKnobs } from '../env/index.ts'

export interface CaseRunInit {
  kind: CaseKind
  server: ServerRef
  opts: CaseOptions
  ident: CaseIdent
  /** Goodput objectives (default: the BENCH_SLO_* knobs). */
  slo?: SloSpec
}

export interface LoopStats {
  p50Ms: number
  p99Ms: number
  maxMs: number
}

/**
 * Self-calibration, the same for every case: the client's own event-loop delay over the measured phase (and, for
 * scheduled phases, its dispatch lag) against the latencies it measured. A client-bound case fails the run unless
 * BENCH_ALLOW_CLIENT_BOUND=1 (the gate reads the failure).
 */
export function judgeClient(s: CaseSummary, loop: LoopStats, procs = 1, stalls?: Dist): void {
  const dispatchLagP99Ms = s.load?.dispatchLagMs.p99 ?? 0
  s.clientHealth = { loopDelayP50Ms: loop.p50Ms, loopDelayP99Ms: loop.p99Ms, loopDelayMaxMs: loop.maxMs, dispatchLagP99Ms }
  const verdict = clientBoundVerdict({
    loopDelayP50Ms: loop.p50Ms,
    loopDelayP99Ms: loop.p99Ms,
    dispatchLagP99Ms,
    ttftP50Ms: s.ttftMs.p50,
    itlP50Ms: s.itlMs.p50,
    e2eP50Ms: s.e2eMs.p50,
    procs,
    cores: availableParallelism(),
    ...(stalls !== undefined ? { stalls } : {}),
  })
  if (stalls !== undefined && stalls.n > 0) s.clientHealth.requestStallMs = { p50: stalls.p50, p99: stalls.p99, max: stalls.max }
  // percentiles a stall could have moved, though the medians stand: flagged for whoever reads them (gate, report)
  if (verdict.moved) s.clientHealth.stallMoved = { stats: verdict.moved, note: verdict.stallNote ?? '' }
  if (s.load) {
    s.load.eventLoopDelay = loop
    s.load.clientBound = verdict.clientBound
  }
  if (verdict.clientBound) s.failures.push(failure('client_bound', verdict.reason ?? 'client-bound: results not trustworthy'))
}

export interface ConcludeMore {
  load?: LoadAcc
  warnings?: string[]
  clients?: { loop: LoopStats; procs: number }
}

let active: CaseRun | undefined

/** The case being measured now (what an interrupted worker flushes), if any. */
export function activeCase(): CaseRun | undefined {
  return active
}

// an interrupted worker still reports the running case (row + summary entry marked incomplete)
onInterrupt(() => active?.flushInterrupted())

export class CaseRun {
  readonly kind: CaseKind
  readonly server: ServerRef
  readonly opts: CaseOptions
  readonly ident: CaseIdent
  /** Everything the summary needs, folded request by request. */
  readonly acc: CaseAccumulator
  readonly slo: SloSpec
  private readonly monitor = new EventLoopMonitor()
  /** How late a stall could have made each measured request's timestamps (the per-figure client-bound rule). */
  private readonly stalls = new StallWatch()
  /** This process's loop kept turning while the case measures (busy-poll.ts), where that choice says so. */
  private readonly poll = new BusyPoll()
  private readonly sections: Record<string, unknown> = {}
  private readonly warnings: string[] = []
  private ctx: CaseContext | undefined
  private done = false
  private unpin: (() => void) | undefined
  /** Measured requests sent through this run, and the server-counted output tokens of the ok ones. */
  private readonly sent = { n: 0, tokens: 0 }
  private readonly knobs = getKnobs()
  private readonly writer = requestsWriter()
  /** Runs first when the worker is torn down mid-case (synchronously): where records measured elsewhere are taken in. */
  beforeInterruptFlush: (() => void) | undefined
  /** performance.now() of the phase now running (warmup, then measured): request timelines are relative to it. */
  t0 = performance.now()

  constructor(init: CaseRunInit) {
    this.kind = init.kind
    this.server = init.server
    this.opts = init.opts
    this.ident = init.ident
    this.slo = init.slo ?? sloFromKnobs()
    this.acc = new CaseAccumulator(this.slo)
  }

  /** This is now the running case: an interrupt flushes it. */
  open(): this {
    // a case given up without close() (its bench threw) must not keep the loop turning under the next one
    if (active !== undefined && active !== this) active.poll.stop()
    active = this
    this.t0 = performance.now()
    return this
  }

  /** One request of this case, in `phase`, timed against the current phase origin. Never throws for a failed request. */
  send(phase: 'warmup' | 'run', tDue?: number, more: SendExtras = {}, opts: CaseOptions = this.opts): Promise<RequestRecord> {
    more.knobs ??= this.knobs
    more.writer ??= this.writer
    if (phase !== 'run') return sendOne(this.server, opts, this.ident, phase, this.t0, tDue, more)
    const a = this.stalls.begin()
    const t0 = this.t0
    return sendOne(this.server, opts, this.ident, phase, t0, tDue, more).then((rec) => {
      // the timestamps the figures are made of: send, first token, end
      const sent = t0 + rec.tStartMs
      this.stalls.end(a, [sent, ...(rec.ttftMs !== null ? [sent + rec.ttftMs] : []), ...(rec.e2eMs !== null ? [sent + rec.e2eMs] : [])])
      this.sent.n++
      if (rec.outcome === 'ok') this.sent.tokens += rec.outputTokensServer ?? 0
      return rec
    })
  }

  add(rec: RequestRecord): void {
    this.acc.add(rec)
  }

  /**
   * Start the measured phase: new timeline origin, event-loop monitor on, onCaseStart hooks, the loop kept turning
   * where BENCH_BUSY_POLL's choice says so (`pollers`: the processes that will read the streams; 0 = other processes
   * measure, this one waits). Returns t0.
   */
  async measure(pollers = 1): Promise<number> {
    // a view of a model its one-model server does not serve yet starts it here, not inside the measured window
    await this.server.ready?.()
    this.t0 = performance.now()
    const sections = this.sections
    const acc = this.acc
    const ctx = {
      kind: this.kind,
      ident: this.ident,
      server: this.server,
      t0: this.t0,
      startedAt: new Date(performance.timeOrigin + this.t0).toISOString(),
      measuredWindow: () => acc.window,
      sentOutputTokens: () => (this.sent.n > 0 ? this.sent.tokens : undefined),
      attach: (name: string, value: unknown) => void (sections[name] = value),
    }
    this.ctx = ctx
    this.warnings.push(...(await runCaseStart(ctx)))
    // hooks may take a moment (a first scrape); the measured phase starts after them, and ctx.t0 says so
    this.t0 = performance.now()
    ctx.t0 = this.t0
    ctx.startedAt = new Date(performance.timeOrigin + this.t0).toISOString()
    this.monitor.start()
    this.stalls.start()
    if (pollers > 0 && this.busyPoll(pollers)) this.poll.start()
    this.unpin = pinKnobs()
    return this.t0
  }

  /**
   * BENCH_BUSY_POLL's choice for `pollers` processes measuring this case (this one, or client processes), recorded in
   * the case's summary (`sections.busyPoll`) when on. The one place the choice is made.
   */
  busyPoll(pollers: number): boolean {
    const choice = busyPollChoice(this.knobs.BENCH_BUSY_POLL, serverComputesHere(this.server), pollers)
    if (choice.on) this.sections.busyPoll = { processes: pollers, why: choice.why }
    return choice.on
  }

  /** A section of the case's summary (`summary.sections[name]`), beside what the case hooks attach. */
  attach(name: string, value: unknown): void {
    this.sections[name] = value
  }

  /**
   * Summary + verdict of what was measured, synchronously (no end hooks); closes the case. `clients`: the case was
   * measured by other processes (BENCH_CLIENT_PROCS), so their worst event loop is judged, not this idle one.
   */
  conclude(more: ConcludeMore = {}): CaseMeta {
    this.poll.stop()
    const own = this.monitor.stop()
    this.stalls.stop()
    this.unpinKnobs()
    const meta = caseMeta(this.server, this.opts, this.ident, this.acc, false, more.load)
    const s = meta.summary
    // a case measured by other processes is judged by their loops; this one's stalls saw none of its requests
    judgeClient(s, more.clients?.loop ?? own, more.clients?.procs, more.clients ? undefined : this.stalls.perRequest.dist())
    s.warnings.push(...this.warnings, ...(more.warnings ?? []))
    if (Object.keys(this.sections).length > 0) s.sections = this.sections
    this.close()
    return meta
  }

  /** Summary, verdict and onCaseEnd hooks (awaited); closes the case. */
  async finish(more: ConcludeMore = {}): Promise<CaseMeta> {
    const meta = this.conclude(more)
    // every request of the case is on disk before the reporters hear of it
    await requestsWriter().flush()
    await this.endHooks(meta)
    return meta
  }

  /** onCaseEnd hooks for a concluded case (sections they attach land in the summary). */
  async endHooks(meta: CaseMeta): Promise<void> {
    if (!this.ctx) return
    await runCaseEnd(this.ctx, meta.summary)
    if (Object.keys(this.sections).length > 0) meta.summary.sections = this.sections
  }

  private unpinKnobs(): void {
    this.unpin?.()
    this.unpin = undefined
  }

  /** No longer the running case (finished, or given up by its caller). */
  close(): void {
    this.done = true
    this.poll.stop()
    this.monitor.stop()
    this.stalls.stop()
    this.unpinKnobs()
    if (active === this) active = undefined
  }

  get finished(): boolean {
    return this.done
  }

  /** Synchronous, for a worker being torn down: row + summary entry marked incomplete. */
  flushInterrupted(): void {
    if (this.done) return
    this.poll.stop()
    // a case measured elsewhere (client processes) first folds in what was measured there
    this.beforeInterruptFlush?.()
    flushAllSync()
    const meta = caseMeta(this.server, this.opts, this.ident, this.acc, true)
    flushInterruptedCase(meta, this.acc.anyMeasured, this.ident.fullName, this.acc.all)
  }
}

/** Warmup then measured requests, one at a time, in one call (sweep variants, and any case measured inside one bench). */
export async function runCase(server: ServerRef, opts: CaseOptions, ident: CaseIdent, kind: CaseKind = 'sweep-variant'): Promise<CaseMeta> {
  const knobs = getKnobs()
  const warmup = opts.warmup ?? knobs.BENCH_WARMUP
  const requests = opts.requests ?? knobs.BENCH_REQUESTS
  const run = new CaseRun({ kind, server, opts, ident }).open()
  try {
    for (let i = 0; i < warmup; i++) run.add(await run.send('warmup'))
    await run.measure()
    for (let i = 0; i < requests; i++) run.add(await run.send('run'))
    return await run.finish()
  } finally {
    run.close()
  }
}
