// A multi-turn case: build the conversations, warm up, let the simulated users talk, and summarise with the
// per-turn view (TTFT, prompt and cached tokens by turn) on top of the usual load summary. Like every case, it
// folds each record as it finishes (CaseRun, TrialAcc, TurnAcc) and keeps none.
import { getKnobs } from '../../env/index.ts'
import type { CaseOptions } from '../case-run.ts'
import type { CaseRun } from '../case-runner.ts'
import { TrialAcc, type LoadAcc } from '../metrics/load-summary.ts'
import { QuantileAcc } from '../metrics/sketch.ts'
import type { CaseMeta } from '../types.ts'
import { DEFAULT_ABORT_ERROR_RATE, DEFAULT_ABORT_MIN_REQUESTS, errorRateAbort } from './abort.ts'
import { buildConversations, runConversations, type ConversationOptions, type TurnSender } from './conversation.ts'
import { outputForcing } from './forcing.ts'
import type { LoadLevel, LoadOptions } from './plan.ts'
import { runSchedule } from './scheduler.ts'
import type { PromptTokenizer } from './tokenizer.ts'
import { promptSeed } from './workload.ts'
import { PrefixCacheAcc, TurnAcc } from './workload-stats.ts'

export async function runConversationCase(
  run: CaseRun,
  opts: CaseOptions & LoadOptions,
  level: LoadLevel,
  conv: ConversationOptions,
  tokenizer: PromptTokenizer,
): Promise<CaseMeta> {
  const knobs = getKnobs()
  const client = run.server.client(opts.protocol)
  const users = level.shape.mode === 'closed' ? level.shape.concurrency : 1
  const turns = conv.turns ?? (conv.sharegpt !== undefined ? Number.MAX_SAFE_INTEGER : 4)
  const budget = level.bounds.count ?? opts.requests ?? knobs.BENCH_REQUESTS
  const count = conv.conversations ?? Math.max(users, Math.ceil(budget / (conv.sharegpt !== undefined ? 1 : turns)))
  const userTokens = typeof conv.userTokens === 'number' ? { mean: conv.userTokens } : (conv.userTokens ?? { mean: 32 })
  const history = conv.history ?? 'returned'
  const thinkTimeS = conv.thinkTimeS ?? 0
  const numPredict = opts.numPredict ?? knobs.BENCH_NUM_PREDICT
  if (history === 'recorded' && conv.sharegpt === undefined)
    throw new Error(
      "conversation history 'recorded' resends the dataset's replies, and synthetic conversations have none: give conversation.sharegpt or use history 'returned'.",
    )
  const convs = await buildConversations(
    { count, turns, userTokens, numPredict, seed: promptSeed(run.ident, opts.seed), ...(conv.sharegpt !== undefined ? { sharegpt: conv.sharegpt } : {}) },
    tokenizer,
  )
  const forcing = outputForcing(client.protocol, opts.ignoreEos ?? true, run.server.stack)
  const base = (maxTokens: number): CaseOptions => ({ ...opts, numPredict: maxTokens, extra: { ...forcing.extra(maxTokens), ...opts.extra } })

  // warmup: plain single requests with the usual unique tag, so no conversation's history is cached before it starts
  const warmup = opts.warmup ?? knobs.BENCH_WARMUP
  if (warmup > 0) {
    const first = convs[0][0]
    await runSchedule({ mode: 'closed', concurrency: Math.min(warmup, users) }, { count: warmup }, async (slot) => {
      const rec = await run.send('warmup', slot.tDue, { signal: slot.signal }, { ...base(first.maxTokens), prompt: first.user, cachePrompt: false })
      run.add(rec)
      return rec
    })
  }

  const acc = new TrialAcc(1, 0, run.slo)
  const byTurn = new TurnAcc()
  const prefixCache = new PrefixCacheAcc()
  const dispatchLagMs = new QuantileAcc()
  const started = new Set<number>()
  const failed = new Set<number>()
  const completed = new Set<number>()
  const caseT0 = await run.measure()
  const send: TurnSender = async (slot) => {
    let reply = ''
    // the history is the cacheable part: no unique tag (it would sit in front of it); each conversation opens
    // with its own user message, so conversations never share more than a system prompt
    const rec = await run.send(
      'run',
      slot.tDue,
      { signal: slot.signal, trial: 1, labels: { conversation: slot.conversation, turn: slot.turn }, onText: (t) => void (reply = t) },
      { ...base(slot.maxTokens), prompt: slot.messages, cachePrompt: true },
    )
    run.add(rec)
    prefixCache.add(rec)
    byTurn.add(slot.turn, rec)
    const w = slot.window()
    acc.add(rec, { startMs: w.start === undefined ? undefined : w.start - caseT0, endMs: w.end - caseT0 }, rec.promptTokensServer ?? 0, slot.maxTokens)
    started.add(slot.conversation)
    if (rec.outcome !== 'ok') failed.add(slot.conversation)
    else if (slot.turn === convs[slot.conversation - 1].length) completed.add(slot.conversation)
    return { record: rec, reply }
  }
  const check = errorRateAbort(opts.abortErrorRate ?? DEFAULT_ABORT_ERROR_RATE, opts.abortMinRequests ?? DEFAULT_ABORT_MIN_REQUESTS)
  const observer = {
    release: (lag: number, due: number, released: number) => {
      dispatchLagMs.add(lag)
      acc.release(due, released)
    },
  }
  const res = await runConversations(
    convs,
    users,
    { history, thinkTimeS, ...(conv.system !== undefined ? { system: conv.system } : {}) },
    send,
    check,
    observer,
  )
  acc.window = res.steady ? { startMs: res.steady.start - caseT0, endMs: res.steady.end - caseT0 } : null
  acc.maxInFlight = res.maxInFlight
  acc.aborted = res.aborted

  const load: LoadAcc = {
    level: { mode: 'closed', concurrency: users, rampUpS: 0, requestBudget: acc.requests },
    trials: [acc],
    dispatchLagMs,
    prompts: {
      source: 'conversation',
      lengthSource: 'server',
      inputTokens: [],
      outputTokensRequested: convs.flatMap((c) => c.map((t) => t.maxTokens)),
      outputForced: forcing.forced,
      forcedBy: forcing.by,
    },
  }
  const pc = prefixCache.result()
  const meta = await run.finish({
    load,
    warnings: pc
      ? []
      : [
          'the server did not report cached prompt tokens (timings.cache_n / usage.prompt_tokens_details.cached_tokens), so prefix reuse shows only in the per-turn TTFT',
        ],
  })
  meta.summary.workload = {
    kind: 'conversation',
    ...(pc ? { prefixCache: pc } : {}),
    conversation: {
      conversations: started.size,
      completed: [...completed].filter((c) => !failed.has(c)).length,
      users,
      history,
      thinkTimeS,
      source: conv.sharegpt !== undefined ? 'sharegpt' : 'synthetic',
      turns: byTurn.result(),
    },
  }
  return meta
}
