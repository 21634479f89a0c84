// One load case: build the workload, warm up, run the scheduled phase once per trial, and summarise — on CaseRun
// (../case-runner.ts), which watches the client's own event loop over the measured phase, judges it, runs the case
// hooks and flushes the case if the worker is interrupted. Records stream into requests.jsonl as they finish.
// prepareLoad is the part a capacity search shares: the workload (fixed, synthetic, ShareGPT, shared-prefix or a
// trace), the sender and the summary inputs.
import { getKnobs } from '../../env/index.ts'
import type { ServerRef } from '../../fixtures/server.ts'
import type { CaseIdent } from '../case-hooks.ts'
import type { CaseOptions } from '../case-run.ts'
import { CaseRun } from '../case-runner.ts'
import { dist } from '../metrics/dist.ts'
import { rateCheck } from '../metrics/load.ts'
import type { LoadInput, TrialInput } from '../metrics/load-summary.ts'
import { prompts } from '../prompts.ts'
import type { CaseMeta, RequestRecord } from '../types.ts'
import { DEFAULT_ABORT_ERROR_RATE, DEFAULT_ABORT_MIN_REQUESTS, errorRateAbort } from './abort.ts'
import { outputForcing, type OutputForcing } from './forcing.ts'
import type { LoadLevel, LoadOptions } from './plan.ts'
import { runConversationCase } from './run-conversation.ts'
import { runSchedule, type ScheduleResult, type Sender } from './scheduler.ts'
import { estimateTokenizer, tokenizerFor, type PromptTokenizer } from './tokenizer.ts'
import { loadTrace, type Trace } from './trace.ts'
import { buildWorkload, workItem, type WorkItem, type Workload } from './workload.ts'
import { prefixCacheOf } from './workload-stats.ts'

export type LoadCaseOptions = CaseOptions & LoadOptions

/** Most distinct prompts prepared per case (later requests reuse them, tagged unique). */
const MAX_DISTINCT = 512

/** Prompts to prepare so that, as far as possible, every request has its own (prefix caches then never help). */
function distinctFor(level: LoadLevel): number {
  const { shape, bounds } = level
  if (bounds.count !== undefined) return Math.min(bounds.count * level.trials, MAX_DISTINCT)
  const seconds = (bounds.durationMs ?? 0) / 1000
  const perTrial = shape.mode === 'open' ? Math.ceil(shape.rate * seconds * 1.2) + 8 : shape.concurrency * 16
  return Math.min(perTrial * level.trials, MAX_DISTINCT)
}

export { DEFAULT_ABORT_ERROR_RATE, DEFAULT_ABORT_MIN_REQUESTS, errorRateAbort } from './abort.ts'

/** The server's /tokenize where it has one (exact lengths), else the calibrated estimate. */
export function caseTokenizer(server: ServerRef, protocol: ReturnType<ServerRef['client']>['protocol']): Promise<PromptTokenizer> {
  return tokenizerFor(server.url, protocol, { model: server.resolvedModel.wireName, timeoutMs: getKnobs().TIMEOUT_TAGS * 1000 })
}

function traceReport(trace: Trace, file: string, timeScale: number, records: readonly RequestRecord[]) {
  const measured = records.filter((r) => r.phase === 'run')
  // queueMs = send − due: with no concurrency cap it is all dispatch lag
  const lags = measured.map((r) => r.queueMs)
  const n = measured.length
  const span = n > 1 ? trace.entries[Math.min(n, trace.entries.length) - 1].offsetMs / 1000 : 0
  return {
    file,
    format: trace.format,
    requests: n,
    timeScale,
    spanS: span,
    meanRate: span > 0 ? (n - 1) / span : 0,
    clamped: trace.clamped,
    sendLagMs: dist(lags),
    within5Ms: n > 0 ? lags.filter((l) => l <= 5).length / n : 0,
  }
}

/** What a load case and each probe of a capacity search share: the workload, a sender, the summary inputs. */
export interface PreparedLoad {
  level: LoadLevel
  workload: Workload
  sender(phase: 'warmup' | 'run', trial: number, sink: RequestRecord[], labels?: Record<string, string | number>): Sender
  /** Warmup requests (closed loop, at most `concurrency` at once). */
  warmup(count: number, concurrency: number): Promise<RequestRecord[]>
  loadInput(level: LoadLevel, trials: TrialInput[]): LoadInput
  /** Reuse and clamp warnings for the summary. */
  warnings(): string[]
  /** The workload report (prefix cache, shared prefix, trace) for summary.workload. */
  report(): NonNullable<CaseMeta['summary']['workload']>
}

export async function prepareLoad(run: CaseRun, opts: LoadCaseOptions, level: LoadLevel): Promise<PreparedLoad> {
  const knobs = getKnobs()
  const server = run.server
  const client = server.client(opts.protocol)
  const needsCount =
    level.input !== undefined || opts.sharegpt !== undefined || level.trace !== undefined || opts.sharedPrefix !== undefined || typeof (opts.prompt ?? prompts.short) === 'string'
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
      seed: opts.seed ?? 1,
      ...(opts.sharedPrefix !== undefined ? { sharedPrefix: opts.sharedPrefix } : {}),
      ...(trace !== undefined ? { trace: trace.entries.slice(0, level.bounds.count) } : {}),
    },
    tokenizer,
  )
  const forcing: OutputForcing = outputForcing(client.protocol, opts.ignoreEos ?? true)
  const itemOf = new Map<string, WorkItem>()
  let runIndex = 0
  let reused = 0

  const sender =
    (phase: 'warmup' | 'run', trial: number, sink: RequestRecord[], extraLabels?: Record<string, string | number>): Sender =>
    async (slot) => {
      const index = phase === 'warmup' ? slot.index : runIndex++
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
      const rec = await run.send(phase, slot.tDue, { signal: slot.signal, trial, ...(Object.keys(labels).length > 0 ? { labels } : {}) }, reqOpts)
      itemOf.set(rec.id, item)
      run.add(rec)
      sink.push(rec)
      return rec
    }

  return {
    level,
    workload,
    sender,
    async warmup(count, concurrency) {
      const mine: RequestRecord[] = []
      if (count > 0) await runSchedule({ mode: 'closed', concurrency: Math.max(1, Math.min(count, concurrency)) }, { count }, sender('warmup', 0, mine))
      return mine
    },
    loadInput(lv, trials) {
      const shape = lv.shape
      return {
        level: {
          mode: shape.mode,
          ...(shape.mode === 'closed' ? { concurrency: shape.concurrency } : {}),
          ...(shape.mode === 'open'
            ? { targetRate: shape.rate, arrival: shape.arrival, ...(shape.maxConcurrency !== undefined ? { concurrency: shape.maxConcurrency } : {}) }
            : {}),
          rampUpS: shape.rampUpS ?? 0,
          ...(lv.bounds.durationMs !== undefined ? { durationS: lv.bounds.durationMs / 1000 } : {}),
          ...(lv.bounds.count !== undefined && lv.bounds.count < Number.MAX_SAFE_INTEGER ? { requestBudget: lv.bounds.count } : {}),
          ...(lv.preset !== undefined ? { preset: lv.preset } : {}),
        },
        trials,
        prompts: {
          source: workload.source,
          lengthSource: workload.lengthSource,
          inputTokens: workload.items.map((i) => i.promptTokens).filter((n): n is number => n !== null),
          outputTokensRequested: workload.items.map((i) => i.maxTokens),
          outputForced: forcing.forced,
          forcedBy: forcing.by,
        },
        promptTokens: (r) => r.promptTokensServer ?? itemOf.get(r.id)?.promptTokens ?? 0,
        requestedTokens: (r) => itemOf.get(r.id)?.maxTokens ?? null,
      }
    },
    warnings() {
      const out: string[] = []
      if (trace !== undefined && trace.clamped > 0) out.push(`${trace.clamped} trace request(s) were clamped to maxInputTokens / maxOutputTokens (the trace option)`)
      if (reused > 0)
        out.push(
          `${reused} request(s) reused one of the ${workload.items.length} prepared prompts; they were sent with a unique tag (a few tokens longer than counted) so prefix caches could not help`,
        )
      return out
    },
    report() {
      const prefixCache = prefixCacheOf(run.records)
      const sp = opts.sharedPrefix
      return {
        kind: workload.source,
        ...(prefixCache ? { prefixCache } : {}),
        ...(sp !== undefined ? { sharedPrefix: { groups: sp.groups ?? 1, prefixTokens: sp.prefixTokens, suffixTokens: sp.suffixTokens ?? 32 } } : {}),
        ...(trace !== undefined && level.trace !== undefined ? { trace: traceReport(trace, level.trace.file, level.trace.timeScale ?? 1, run.records) } : {}),
      }
    },
  }
}

export async function runLoadCase(server: ServerRef, opts: LoadCaseOptions, level: LoadLevel, ident: CaseIdent): Promise<CaseMeta> {
  const kind = level.conversation !== undefined ? 'conversation' : level.trace !== undefined ? 'trace' : 'load'
  const run = new CaseRun({ kind, server, opts, ident, ...(opts.slo ? { slo: opts.slo } : {}) }).open()
  try {
    if (level.conversation !== undefined) return await runConversationCase(run, opts, level, level.conversation, await caseTokenizer(server, server.client(opts.protocol).protocol))
    return await loadPhases(run, opts, level)
  } finally {
    run.close()
  }
}

async function loadPhases(run: CaseRun, opts: LoadCaseOptions, level: LoadLevel): Promise<CaseMeta> {
  const knobs = getKnobs()
  const prep = await prepareLoad(run, opts, level)
  level = prep.level
  const c = level.shape.mode === 'closed' ? level.shape.concurrency : (level.shape.maxConcurrency ?? 1)
  await prep.warmup(opts.warmup ?? knobs.BENCH_WARMUP, c)

  const check = errorRateAbort(opts.abortErrorRate ?? DEFAULT_ABORT_ERROR_RATE, opts.abortMinRequests ?? DEFAULT_ABORT_MIN_REQUESTS)
  const trials: TrialInput[] = []
  const caseT0 = await run.measure()
  for (let trial = 1; trial <= level.trials; trial++) {
    const mine: RequestRecord[] = []
    const res = await runSchedule(level.shape, level.bounds, prep.sender('run', trial, mine), check)
    trials.push(trialInput(trial, mine, res, caseT0, level.shape.mode === 'open' ? (level.shape.rampUpS ?? 0) * 1000 : 0))
    if (res.aborted !== undefined) break
  }
  const meta = await run.finish({ load: prep.loadInput(level, trials), warnings: prep.warnings() })
  meta.summary.workload = prep.report()
  return meta
}

/** One measured phase as the summariser takes it; `origin` is the timeline origin of its records. */
export function trialInput(trial: number, records: RequestRecord[], res: ScheduleResult, origin: number, rampEndMs: number): TrialInput {
  return {
    trial,
    records,
    window: res.steady ? { startMs: res.steady.start - origin, endMs: res.steady.end - origin } : null,
    dueOffsetsMs: res.dueOffsetsMs,
    releaseOffsetsMs: res.releaseOffsetsMs,
    rampEndMs,
    dispatchLagMs: res.dispatchLagMs,
    maxInFlight: res.maxInFlight,
    ...(res.aborted !== undefined ? { aborted: res.aborted } : {}),
  }
}
