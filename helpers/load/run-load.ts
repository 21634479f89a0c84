// One load case: build the workload, warm up, run the scheduled phase once per trial, and summarise — on CaseRun
// (../case-runner.ts), which watches the client's own event loop over the measured phase, judges it, runs the case
// hooks and flushes the case if the worker is interrupted. Records stream into requests.jsonl as they finish.
import { getKnobs } from '../../env/index.ts'
import type { ServerRef } from '../../fixtures/server.ts'
import type { CaseIdent } from '../case-hooks.ts'
import type { CaseOptions } from '../case-run.ts'
import { CaseRun } from '../case-runner.ts'
import { TrialAcc, type LoadAcc, type WindowNow } from '../metrics/load-summary.ts'
import { QuantileAcc } from '../metrics/sketch.ts'
import { prompts } from '../prompts.ts'
import type { CaseMeta, RequestRecord } from '../types.ts'
import { outputForcing } from './forcing.ts'
import type { LoadLevel, LoadOptions } from './plan.ts'
import { runSchedule, type AbortCheck, type Sender } from './scheduler.ts'
import { estimateTokenizer, tokenizerFor } from './tokenizer.ts'
import { buildWorkload, workItem } from './workload.ts'

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

export const DEFAULT_ABORT_ERROR_RATE = 0.5
export const DEFAULT_ABORT_MIN_REQUESTS = 10

/** Stops a trial once too many of its finished requests failed; requests we cancelled ourselves do not count. */
export function errorRateAbort(limit: number, minRequests: number): AbortCheck {
  // counts, not the records: one check per trial, fed each finished request in turn
  let finished = 0
  let failed = 0
  let firstError: string | undefined
  const kinds = new Set<string>()
  return (r) => {
    finished++
    if (r.outcome !== 'ok' && r.outcome !== 'aborted') {
      if (failed++ === 0) firstError = r.error
      kinds.add(r.outcome)
    }
    if (limit >= 1 || finished < minRequests) return undefined
    const rate = failed / finished
    if (rate <= limit) return undefined
    return `aborted: error rate ${(rate * 100).toFixed(0)}% (${failed} of ${finished} finished requests failed: ${[...kinds].join(', ')}; first error: ${firstError ?? 'none'}) passed the limit ${(limit * 100).toFixed(0)}% (abortErrorRate option); the remaining requests were cancelled`
  }
}

export async function runLoadCase(
  server: ServerRef,
  opts: LoadCaseOptions,
  level: LoadLevel,
  ident: CaseIdent,
): Promise<CaseMeta> {
  const run = new CaseRun({ kind: 'load', server, opts, ident, ...(opts.slo ? { slo: opts.slo } : {}) }).open()
  try {
    return await loadPhases(run, server, opts, level)
  } finally {
    run.close()
  }
}

async function loadPhases(run: CaseRun, server: ServerRef, opts: LoadCaseOptions, level: LoadLevel): Promise<CaseMeta> {
  const knobs = getKnobs()
  const client = server.client(opts.protocol)
  const needsCount = level.input !== undefined || opts.sharegpt !== undefined || typeof (opts.prompt ?? prompts.short) === 'string'
  const tokenizer = needsCount
    ? await tokenizerFor(server.url, client.protocol, { model: server.resolvedModel.wireName, timeoutMs: knobs.TIMEOUT_TAGS * 1000, path: server.stack.tokenizePath?.(client.protocol) })
    : estimateTokenizer
  const workload = await buildWorkload(
    {
      prompt: opts.prompt ?? prompts.short,
      numPredict: opts.numPredict ?? knobs.BENCH_NUM_PREDICT,
      ...(level.input ? { input: level.input } : {}),
      ...(level.output ? { output: level.output } : {}),
      ...(opts.sharegpt !== undefined ? { sharegpt: opts.sharegpt } : {}),
      distinct: distinctFor(level),
      seed: opts.seed ?? 1,
    },
    tokenizer,
  )
  const forcing = outputForcing(client.protocol, opts.ignoreEos ?? true, server.stack)
  let runIndex = 0
  let reused = 0
  let caseT0 = 0
  const slo = run.slo

  const sender =
    (phase: 'warmup' | 'run', trial: number, acc?: TrialAcc): Sender =>
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
      const rec = await run.send(phase, slot.tDue, { signal: slot.signal, trial }, reqOpts)
      run.add(rec)
      if (acc) {
        // where the steady window stands as this request ends (scheduler.ts): folded now, the record is not kept
        const w = slot.window()
        const win: WindowNow = { startMs: w.start === undefined ? undefined : w.start - caseT0, endMs: w.end - caseT0 }
        acc.add(rec, win, rec.promptTokensServer ?? item.promptTokens ?? 0, item.maxTokens)
      }
      return rec
    }

  const warmup = opts.warmup ?? knobs.BENCH_WARMUP
  if (warmup > 0) {
    const c = level.shape.mode === 'closed' ? level.shape.concurrency : (level.shape.maxConcurrency ?? 1)
    await runSchedule({ mode: 'closed', concurrency: Math.min(warmup, c) }, { count: warmup }, sender('warmup', 0))
  }

  const trials: TrialAcc[] = []
  const dispatchLagMs = new QuantileAcc()
  caseT0 = await run.measure()
  for (let trial = 1; trial <= level.trials; trial++) {
    const acc = new TrialAcc(trial, level.shape.mode === 'open' ? (level.shape.rampUpS ?? 0) * 1000 : 0, slo)
    trials.push(acc)
    const check = errorRateAbort(opts.abortErrorRate ?? DEFAULT_ABORT_ERROR_RATE, opts.abortMinRequests ?? DEFAULT_ABORT_MIN_REQUESTS)
    const observer = {
      release: (lag: number, due: number, released: number) => {
        dispatchLagMs.add(lag)
        acc.release(due, released)
      },
    }
    const res = await runSchedule(level.shape, level.bounds, sender('run', trial, acc), check, observer)
    acc.window = res.steady ? { startMs: res.steady.start - caseT0, endMs: res.steady.end - caseT0 } : null
    acc.maxInFlight = res.maxInFlight
    acc.aborted = res.aborted
    if (res.aborted !== undefined) break
  }

  const shape = level.shape
  const input: LoadAcc = {
    level: {
      mode: shape.mode,
      ...(shape.mode === 'closed' ? { concurrency: shape.concurrency } : {}),
      ...(shape.mode === 'open'
        ? { targetRate: shape.rate, arrival: shape.arrival, ...(shape.maxConcurrency !== undefined ? { concurrency: shape.maxConcurrency } : {}) }
        : {}),
      rampUpS: shape.rampUpS ?? 0,
      ...(level.bounds.durationMs !== undefined ? { durationS: level.bounds.durationMs / 1000 } : {}),
      ...(level.bounds.count !== undefined ? { requestBudget: level.bounds.count } : {}),
      ...(level.preset !== undefined ? { preset: level.preset } : {}),
    },
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
  const warnings =
    reused > 0
      ? [`${reused} request(s) reused one of the ${workload.items.length} prepared prompts; they were sent with a unique tag (a few tokens longer than counted) so prefix caches could not help`]
      : []
  return run.finish({ load: input, warnings })
}
