// A multi-turn case: build the conversations, warm up, let the simulated users talk, and summarise with the
// per-turn view (TTFT, prompt and cached tokens by turn) on top of the usual load summary.
import { getKnobs } from '../../env/index.ts'
import type { CaseOptions } from '../case-run.ts'
import type { CaseRun } from '../case-runner.ts'
import type { LoadInput } from '../metrics/load-summary.ts'
import type { CaseMeta, RequestRecord } from '../types.ts'
import { buildConversations, runConversations, type ConversationOptions, type TurnSender } from './conversation.ts'
import { outputForcing } from './forcing.ts'
import type { LoadLevel, LoadOptions } from './plan.ts'
import { errorRateAbort, DEFAULT_ABORT_ERROR_RATE, DEFAULT_ABORT_MIN_REQUESTS } from './abort.ts'
import { runSchedule } from './scheduler.ts'
import type { PromptTokenizer } from './tokenizer.ts'
import { prefixCacheOf, turnStats } from './workload-stats.ts'

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
    { count, turns, userTokens, numPredict, seed: opts.seed ?? 1, ...(conv.sharegpt !== undefined ? { sharegpt: conv.sharegpt } : {}) },
    tokenizer,
  )
  const forcing = outputForcing(client.protocol, opts.ignoreEos ?? true)
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

  const caseT0 = await run.measure()
  const send: TurnSender = async (slot) => {
    let reply = ''
    // the history is the cacheable part: no unique tag (it would sit in front of it); each conversation opens
    // with its own user message, so conversations never share more than a system prompt
    const rec = await run.send(
      'run',
      slot.tDue,
      {
        signal: slot.signal,
        trial: 1,
        labels: { conversation: slot.conversation, turn: slot.turn },
        onText: (t) => {
          reply = t
        },
      },
      { ...base(slot.maxTokens), prompt: slot.messages, cachePrompt: true },
    )
    run.add(rec)
    return { record: rec, reply }
  }
  const check = errorRateAbort(opts.abortErrorRate ?? DEFAULT_ABORT_ERROR_RATE, opts.abortMinRequests ?? DEFAULT_ABORT_MIN_REQUESTS)
  const res = await runConversations(convs, users, { history, thinkTimeS, ...(conv.system !== undefined ? { system: conv.system } : {}) }, send, check)

  const promptTokensOf = (r: RequestRecord) => r.promptTokensServer ?? 0
  const input: LoadInput = {
    level: { mode: 'closed', concurrency: users, rampUpS: 0, requestBudget: res.records.length },
    trials: [
      {
        trial: 1,
        records: res.records,
        window: res.steady ? { startMs: res.steady.start - caseT0, endMs: res.steady.end - caseT0 } : null,
        dueOffsetsMs: res.dueOffsetsMs,
        releaseOffsetsMs: res.releaseOffsetsMs,
        rampEndMs: 0,
        dispatchLagMs: res.dispatchLagMs,
        maxInFlight: res.maxInFlight,
        ...(res.aborted !== undefined ? { aborted: res.aborted } : {}),
      },
    ],
    prompts: {
      source: 'conversation',
      lengthSource: 'server',
      inputTokens: res.records.map(promptTokensOf).filter((n) => n > 0),
      outputTokensRequested: convs.flatMap((c) => c.map((t) => t.maxTokens)),
      outputForced: forcing.forced,
      forcedBy: forcing.by,
    },
    promptTokens: promptTokensOf,
    requestedTokens: () => null,
  }
  const noCache = run.records.every((r) => r.server.cachedPromptTokens === undefined)
  const meta = await run.finish({
    load: input,
    warnings: noCache
      ? [
          'the server did not report cached prompt tokens (timings.cache_n / usage.prompt_tokens_details.cached_tokens), so prefix reuse shows only in the per-turn TTFT',
        ]
      : [],
  })
  const turnOf = (r: RequestRecord) => res.turnOf.get(r.id)?.turn
  const completed = new Set<number>()
  const failed = new Set<number>()
  for (const r of res.records) {
    const t = res.turnOf.get(r.id)
    if (t === undefined) continue
    if (r.outcome !== 'ok') failed.add(t.conversation)
    else if (t.turn === convs[t.conversation - 1].length) completed.add(t.conversation)
  }
  const prefixCache = prefixCacheOf(run.records)
  meta.summary.workload = {
    kind: 'conversation',
    ...(prefixCache ? { prefixCache } : {}),
    conversation: {
      conversations: new Set([...res.turnOf.values()].map((t) => t.conversation)).size,
      completed: [...completed].filter((c) => !failed.has(c)).length,
      users,
      history,
      thinkTimeS,
      source: conv.sharegpt !== undefined ? 'sharegpt' : 'synthetic',
      turns: turnStats(run.records, turnOf),
    },
  }
  return meta
}
