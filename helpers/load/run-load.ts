// One load case: build the workload, warm up, run the scheduled phase once per trial, and summarise — on CaseRun
// (../case-runner.ts), which watches the client's own event loop over the measured phase, judges it, runs the case
// hooks and flushes the case if the worker is interrupted. Records stream into requests.jsonl as they finish.
// prepareLoad is the part a capacity search shares: the workload (fixed, synthetic, ShareGPT, shared-prefix or a
// replayed trace), the request it sends for each slot, and the summary inputs.
import { getKnobs } from '../../env/index.ts'
import type { ServerRef } from '../../fixtures/server.ts'
import type { CaseIdent } from '../case-hooks.ts'
import type { CaseOptions } from '../case-run.ts'
import { CaseRun } from '../case-runner.ts'
import { clientSection } from '../metrics/client-health.ts'
import { rateCheck } from '../metrics/load.ts'
import { TrialAcc, type LoadAcc, type WindowNow } from '../metrics/load-summary.ts'
import { QuantileAcc } from '../metrics/sketch.ts'
import { prompts } from '../prompts.ts'
import type { CaseMeta, RequestRecord, WorkloadReport } from '../types.ts'
import { outputForcing, type OutputForcing } from './forcing.ts'
import type { LoadLevel, LoadOptions } from './plan.ts'
import { runConversationCase } from './run-conversation.ts'
import { DEFAULT_ABORT_ERROR_RATE, DEFAULT_ABORT_MIN_REQUESTS, errorRateAbort } from './abort.ts'
import { SaturationWatch } from './saturation.ts'
import { HANDOVER_MS, inFlightCap, runSchedule, type SendSlot } from './scheduler.ts'
import { estimateTokenizer, tokenizerFor, type PromptTokenizer } from './tokenizer.ts'
import { loadTrace, type Trace } from './trace.ts'
import { buildWorkload, promptSeed, workItem, type WorkItem, type Workload } from './workload.ts'
import { PrefixCacheAcc, prefixCacheWarning } from './workload-stats.ts'

export type LoadCaseOptions = CaseOptions & LoadOptions

/** Most distinct prompts prepared per case (later requests reuse them, tagged unique). */
const MAX_DISTINCT = 512

/** Prompts to prepare so that, as far as possible, every request has its own (prefix caches then never help). */
function distinctFor(level: LoadLevel): number {
  const { shape, bounds } = level
  // a shard prepares the whole case's prompt set and sends its share of it
  const sh = level.shard
  if (sh !== undefined && sh.count > 1) {
    const n = sh.count
    const whole = shape.mode === 'open' ? { ...shape, rate: shape.rate * n } : { ...shape, concurrency: shape.concurrency * n }
    return distinctFor({ ...level, shape: whole, bounds: bounds.count !== undefined ? { ...bounds, count: bounds.count * n } : bounds, shard: undefined })
  }
  if (bounds.count !== undefined) return Math.min(bounds.count * level.trials, MAX_DISTINCT)
  const seconds = (bounds.durationMs ?? 0) / 1000
  const perTrial = shape.mode === 'open' ? Math.ceil(shape.rate * seconds * 1.2) + 8 : shape.concurrency * 16
  return Math.min(perTrial * level.trials, MAX_DISTINCT)
}

export { DEFAULT_ABORT_ERROR_RATE, DEFAULT_ABORT_MIN_REQUESTS, errorRateAbort } from './abort.ts'

/** The server's /tokenize where it has one (exact lengths), else the calibrated estimate. */
export function caseTokenizer(server: ServerRef, protocol: ReturnType<ServerRef['client']>['protocol']): Promise<PromptTokenizer> {
  return tokenizerFor(server.url, protocol, {
    model: server.resolvedModel.wireName,
    timeoutMs: getKnobs().TIMEOUT_TAGS * 1000,
    path: server.stack.tokenizePath?.(protocol),
  })
}

/** What a load case and each probe of a capacity search share. */
export interface PreparedLoad {
  /** The level, with a trace's due times filled in. */
  level: LoadLevel
  workload: Workload
  forcing: OutputForcing
  /** Send the request of one slot (the next workload item); the caller folds the record. */
  send(phase: 'warmup' | 'run', slot: SendSlot, trial: number, labels?: Record<string, string | number>): Promise<{ rec: RequestRecord; item: WorkItem }>
  /**
   * Before the measured phase: open the connections its first requests will use (a closed loop's concurrency, a
   * capped rate's cap), as wrk opens its own — a burst of c requests on new sockets waited up to 39 ms behind c
   * handshakes and the server's accepts (peers `truth` scenario).
   */
  preconnect(): Promise<void>
  /** The LoadAcc of some trials (prompt set and level from this workload). */
  loadAcc(level: LoadLevel, trials: TrialAcc[], dispatchLagMs: QuantileAcc): LoadAcc
  /** Fold a finished measured request into the workload report (prefix cache, trace send lag). */
  note(rec: RequestRecord): void
  warnings(): string[]
  report(): WorkloadReport
}

/** How a load level reads in the summary (`summary.load` mode, concurrency, rate, ramp, duration, budget, preset). */
export function levelOf(lv: LoadLevel): LoadAcc['level'] {
  const shape = lv.shape
  return {
    mode: shape.mode,
    ...(shape.mode === 'closed' ? { concurrency: shape.concurrency } : {}),
    ...(shape.mode === 'open'
      ? { targetRate: shape.rate, arrival: shape.arrival, ...(shape.maxConcurrency !== undefined ? { concurrency: shape.maxConcurrency } : {}) }
      : {}),
    rampUpS: shape.rampUpS ?? 0,
    ...(lv.bounds.durationMs !== undefined ? { durationS: lv.bounds.durationMs / 1000 } : {}),
    ...(lv.bounds.count !== undefined && lv.bounds.count < Number.MAX_SAFE_INTEGER ? { requestBudget: lv.bounds.count } : {}),
    ...(lv.preset !== undefined ? { preset: lv.preset } : {}),
  }
}

export async function prepareLoad(run: Pick<CaseRun, 'server' | 'send' | 'ident'>, opts: LoadCaseOptions, level: LoadLevel): Promise<PreparedLoad> {
  const knobs = getKnobs()
  const server = run.server
  const client = server.client(opts.protocol)
  const needsCount =
    level.input !== undefined ||
    opts.sharegpt !== undefined ||
    level.trace !== undefined ||
    opts.sharedPrefix !== undefined ||
    typeof (opts.prompt ?? prompts.short) === 'string'
  const tokenizer = needsCount ? await caseTokenizer(server, client.protocol) : estimateTokenizer
  let trace: Trace | undefined
  if (level.trace !== undefined) {
    trace = loadTrace(level.trace)
    const offsetsMs = trace.entries.map((e) => e.offsetMs)
    // the trace's own least-squares rate is the target, so a rate miss means the client lagged, not the trace's bursts
    const rate = rateCheck(1, offsetsMs, offsetsMs)?.scheduledRate ?? trace.meanRate
    level = { ...level, shape: { ...level.shape, mode: 'open', rate, arrival: 'trace', offsetsMs } as LoadLevel['shape'] }
  }
  const workload = await buildWorkload(
    {
      prompt: opts.prompt ?? prompts.short,
      numPredict: opts.numPredict ?? knobs.BENCH_NUM_PREDICT,
      ...(level.input ? { input: level.input } : {}),
      ...(level.output ? { output: level.output } : {}),
      ...(opts.sharegpt !== undefined ? { sharegpt: opts.sharegpt } : {}),
      distinct: distinctFor(level),
      seed: promptSeed(run.ident, opts.seed),
      ...(opts.sharedPrefix !== undefined ? { sharedPrefix: opts.sharedPrefix } : {}),
      ...(trace !== undefined ? { trace: trace.entries.slice(0, level.bounds.count) } : {}),
      ...(level.trace?.blockTokens !== undefined ? { blockTokens: level.trace.blockTokens } : {}),
    },
    tokenizer,
  )
  const forcing = outputForcing(client.protocol, opts.ignoreEos ?? true, server.stack)
  const sh = level.shard
  const itemOf = sh === undefined || sh.count === 1 ? (i: number) => i : (i: number) => i * sh.count + sh.index - 1
  const prefixCache = new PrefixCacheAcc()
  // a case that lets the server reuse prompts (cachePrompt, shared prefixes, a trace's shared blocks) is not held to fresh prompts
  const freshAsked = opts.cachePrompt !== true && opts.sharedPrefix === undefined && workload.blocks === undefined
  const sendLag = new QuantileAcc()
  let within5 = 0
  let runIndex = 0
  let reused = 0

  return {
    level,
    workload,
    forcing,
    async preconnect() {
      const cap = inFlightCap(level.shape)
      if (cap !== undefined) await client.preconnect?.(cap)
    },
    async send(phase, slot, trial, extraLabels) {
      const index = phase === 'warmup' ? slot.index : itemOf(runIndex++)
      const item = workItem(workload, index)
      // synthetic and ShareGPT prompts are distinct already, so measured requests send them exactly as counted;
      // warmups, reused items and fixed prompts get the usual unique tag so a prefix cache cannot skip a prefill
      const fresh = phase === 'run' && workload.source !== 'fixed' && index < workload.items.length
      if (phase === 'run' && !fresh && workload.source !== 'fixed') reused++
      const reqOpts: CaseOptions = {
        ...opts,
        prompt: item.prompt,
        numPredict: item.maxTokens,
        cachePrompt: opts.cachePrompt ?? fresh,
        extra: { ...forcing.extra(item.maxTokens), ...opts.extra },
      }
      const labels = { ...extraLabels, ...(item.group !== undefined && phase === 'run' ? { group: item.group + 1 } : {}) }
      const more = {
        signal: slot.signal,
        trial,
        ...(slot.sendAt !== undefined ? { sendAt: slot.sendAt } : {}),
        ...(Object.keys(labels).length > 0 ? { labels } : {}),
      }
      const rec = await run.send(phase, slot.tDue, more, reqOpts)
      return { rec, item }
    },
    loadAcc(lv, trials, dispatchLagMs) {
      return {
        level: levelOf(lv),
        trials,
        dispatchLagMs,
        prompts: {
          source: workload.source,
          lengthSource: workload.lengthSource,
          inputTokens: workload.items.map((i) => i.promptTokens).filter((n): n is number => n !== null),
          outputTokensRequested: workload.items.map((i) => i.maxTokens),
          outputForced: forcing.forced,
          forcedBy: forcing.by,
        },
      }
    },
    note(rec) {
      prefixCache.add(rec)
      if (trace !== undefined && rec.phase === 'run') {
        // queueMs = send − due: with no concurrency cap, all of it is the client's lag behind the trace
        sendLag.add(rec.queueMs)
        if (rec.queueMs <= 5) within5++
      }
    },
    warnings() {
      const out: string[] = []
      if (trace !== undefined && trace.clamped > 0)
        out.push(`${trace.clamped} trace request(s) were clamped to maxInputTokens / maxOutputTokens (the trace option)`)
      const cached = freshAsked ? prefixCacheWarning(prefixCache.result()) : undefined
      if (cached !== undefined) out.push(cached)
      if (reused > 0)
        out.push(
          `${reused} request(s) reused one of the ${workload.items.length} prepared prompts; they were sent with a unique tag (a few tokens longer than counted) so prefix caches could not help`,
        )
      return out
    },
    report() {
      const pc = prefixCache.result()
      const sp = opts.sharedPrefix
      const lag = sendLag.dist()
      const n = lag.n
      const span = trace !== undefined && n > 1 ? trace.entries[Math.min(n, trace.entries.length) - 1].offsetMs / 1000 : 0
      return {
        kind: workload.source,
        ...(pc ? { prefixCache: pc } : {}),
        ...(sp !== undefined ? { sharedPrefix: { groups: sp.groups ?? 1, prefixTokens: sp.prefixTokens, suffixTokens: sp.suffixTokens ?? 32 } } : {}),
        ...(trace !== undefined && level.trace !== undefined
          ? {
              trace: {
                file: level.trace.file,
                format: trace.format,
                requests: n,
                timeScale: level.trace.timeScale ?? 1,
                spanS: span,
                meanRate: span > 0 ? (n - 1) / span : 0,
                clamped: trace.clamped,
                ...(trace.failedRows > 0 ? { failedRows: trace.failedRows } : {}),
                ...(workload.blocks !== undefined
                  ? { blocks: { blockTokens: workload.blocks.blockTokens, distinct: workload.blocks.blocks, sharedFirst: workload.blocks.sharedFirst } }
                  : {}),
                sendLagMs: lag,
                within5Ms: n > 0 ? within5 / n : 0,
              },
            }
          : {}),
      }
    },
  }
}

export async function runLoadCase(server: ServerRef, opts: LoadCaseOptions, level: LoadLevel, ident: CaseIdent): Promise<CaseMeta> {
  const kind = level.conversation !== undefined ? 'conversation' : level.trace !== undefined ? 'trace' : 'load'
  const run = new CaseRun({ kind, server, opts, ident, ...(opts.slo ? { slo: opts.slo } : {}) }).open()
  try {
    if (level.conversation !== undefined)
      return await runConversationCase(run, opts, level, level.conversation, await caseTokenizer(server, server.client(opts.protocol).protocol))
    return await loadPhases(run, opts, level)
  } finally {
    run.close()
  }
}

async function loadPhases(run: CaseRun, opts: LoadCaseOptions, level: LoadLevel): Promise<CaseMeta> {
  const knobs = getKnobs()
  const prep = await prepareLoad(run, opts, level)
  level = prep.level
  let caseT0 = 0
  let outputTokens = 0
  const slo = run.slo

  const sender =
    (phase: 'warmup' | 'run', trial: number, acc?: TrialAcc) =>
    async (slot: SendSlot): Promise<RequestRecord> => {
      const { rec, item } = await prep.send(phase, slot, trial)
      run.add(rec)
      prep.note(rec)
      if (acc) {
        if (rec.outcome === 'ok') outputTokens += rec.outputTokens
        // where the steady window stands as this request ends (scheduler.ts): folded now, the record is not kept
        const w = slot.window()
        const win: WindowNow = { startMs: w.start === undefined ? undefined : w.start - caseT0, endMs: w.end - caseT0 }
        acc.add(rec, win, rec.promptTokensServer ?? item.promptTokens ?? 0, item.maxTokens)
      }
      return rec
    }

  const warmup = opts.warmup ?? knobs.BENCH_WARMUP
  if (warmup > 0) {
    await runSchedule({ mode: 'closed', concurrency: Math.min(warmup, inFlightCap(level.shape) ?? 1) }, { count: warmup }, sender('warmup', 0))
  }

  const trials: TrialAcc[] = []
  const dispatchLagMs = new QuantileAcc()
  await prep.preconnect()
  caseT0 = await run.measure()
  const cpu0 = process.cpuUsage()
  for (let trial = 1; trial <= level.trials; trial++) {
    const open = level.shape.mode === 'open'
    const acc = new TrialAcc(trial, open ? (level.shape.rampUpS ?? 0) * 1000 : 0, slo, open)
    trials.push(acc)
    const errors = errorRateAbort(opts.abortErrorRate ?? DEFAULT_ABORT_ERROR_RATE, opts.abortMinRequests ?? DEFAULT_ABORT_MIN_REQUESTS)
    // an uncapped rate (not a trace) whose queue grows without bound is stopped as past saturation (saturation.ts)
    const sat = open && inFlightCap(level.shape) === undefined && level.trace === undefined ? new SaturationWatch() : undefined
    const check = (r: RequestRecord): string | undefined => {
      const failing = errors(r)
      const saturated = sat?.check(r)
      return failing ?? saturated
    }
    const observer = {
      release: (lag: number, due: number, released: number) => {
        dispatchLagMs.add(lag)
        acc.release(due, released)
        sat?.release()
      },
    }
    const res = await runSchedule(level.shape, level.bounds, sender('run', trial, acc), check, observer, HANDOVER_MS)
    acc.window = res.steady ? { startMs: res.steady.start - caseT0, endMs: res.steady.end - caseT0 } : null
    acc.maxInFlight = res.maxInFlight
    const v = sat?.verdict
    if (v !== undefined && res.aborted === v.reason) acc.saturation = v
    else acc.aborted = res.aborted
    if (res.aborted !== undefined) break
  }
  const cpu = process.cpuUsage(cpu0)
  run.attach('client', clientSection(cpu.user + cpu.system, outputTokens))
  const meta = await run.finish({ load: prep.loadAcc(level, trials, dispatchLagMs), warnings: prep.warnings() })
  meta.summary.workload = prep.report()
  return meta
}
