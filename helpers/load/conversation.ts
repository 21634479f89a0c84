// Multi-turn conversations: simulated users, each running one conversation after another, turn by turn. Turn k
// sends the whole history — system prompt, every earlier user message and reply — plus the k-th user message.
// The replies resent are, by default, the text the server actually returned ('returned'): that is what a chat
// client does, and it is what makes a prefix cache hit the shared history exactly. 'recorded' resends the
// dataset's reply instead (ShareGPT), so every run sends byte-identical prompts whatever the model says; the
// cache then only helps up to where the model's earlier reply differs from the recorded one.
// A user waits `thinkTimeS` after each reply before the next turn (closed loop: no new turn while one runs).
import type { ChatMessage, RequestRecord } from '../types.ts'
import { waitUntil } from './clock.ts'
import type { AbortCheck, ScheduleObserver } from './scheduler.ts'
import { loadShareGptConversations } from './sharegpt.ts'
import { checkLength, drawLengths, promptOfLength, type LengthSpec } from './synthetic.ts'
import type { PromptTokenizer } from './tokenizer.ts'

export type HistoryMode = 'returned' | 'recorded'

export interface ConversationOptions {
  /** Turns per synthetic conversation (default 4); ShareGPT conversations keep theirs, cut to this when given. */
  turns?: number
  /** Tokens of each synthetic user message (default 32). */
  userTokens?: number | LengthSpec
  /** ShareGPT file: its human turns are the user messages, its replies size (and, for 'recorded', are) the replies. */
  sharegpt?: string
  /** Conversations to run in all (default: enough for the case's request count, at least one per user). */
  conversations?: number
  /** Simulated users at once (default the case's concurrency). */
  users?: number
  /** What later turns resend as earlier replies (default 'returned'). */
  history?: HistoryMode
  /** Seconds between a reply and the user's next turn (default 0). */
  thinkTimeS?: number
  /** System message opening every conversation. */
  system?: string
}

export interface ConversationTurn {
  user: string
  /** The dataset's reply (ShareGPT), resent under history 'recorded'. */
  recorded?: string
  maxTokens: number
}

export type Conversation = ConversationTurn[]

export interface ConversationSpec {
  count: number
  turns: number
  userTokens: LengthSpec
  /** Output tokens of a synthetic reply. */
  numPredict: number
  sharegpt?: string
  seed: number
  /** Cap of ShareGPT reply lengths (tokens). */
  maxOutput?: number
}

export async function buildConversations(spec: ConversationSpec, tokenizer: PromptTokenizer): Promise<Conversation[]> {
  if (!Number.isInteger(spec.turns) || spec.turns < 1)
    throw new Error(`conversation turns must be a whole number ≥ 1, got ${spec.turns}: fix the case's conversation.turns option.`)
  if (spec.sharegpt !== undefined) {
    const all = loadShareGptConversations(spec.sharegpt, spec.count, spec.turns)
    const out: Conversation[] = []
    for (const pairs of all) {
      const conv: Conversation = []
      for (const p of pairs)
        conv.push({ user: p.prompt, recorded: p.reply, maxTokens: Math.max(1, Math.min(await tokenizer.count(p.reply), spec.maxOutput ?? 1024)) })
      out.push(conv)
    }
    return out
  }
  checkLength('conversation user', spec.userTokens)
  const lengths = drawLengths(spec.userTokens, spec.count * spec.turns, spec.seed)
  const out: Conversation[] = []
  for (let c = 0; c < spec.count; c++) {
    const conv: Conversation = []
    for (let t = 0; t < spec.turns; t++) {
      const p = await promptOfLength(lengths[c * spec.turns + t], tokenizer, spec.seed * 7919 + c * 1009 + t, `User ${c + 1} turn ${t + 1}:`)
      conv.push({ user: p.text, maxTokens: spec.numPredict })
    }
    out.push(conv)
  }
  return out
}

/** The messages of turn `k` (0-based): history so far, then the k-th user message. */
export function turnMessages(conv: Conversation, k: number, replies: readonly string[], history: HistoryMode, system?: string): ChatMessage[] {
  const out: ChatMessage[] = system ? [{ role: 'system', content: system }] : []
  for (let i = 0; i < k; i++) {
    out.push({ role: 'user', content: conv[i].user })
    out.push({ role: 'assistant', content: history === 'recorded' ? (conv[i].recorded ?? replies[i]) : replies[i] })
  }
  out.push({ role: 'user', content: conv[k].user })
  return out
}

export interface TurnSlot {
  conversation: number
  /** 1-based turn number. */
  turn: number
  messages: ChatMessage[]
  maxTokens: number
  /** performance.now() the turn became due (previous reply + think time). */
  tDue: number
  signal: AbortSignal
  /** The steady window as it stands now (all users busy), as SendSlot.window gives it for schedules. */
  window: () => { start: number | undefined; end: number }
}

/** Sends one turn; returns its record and the reply text as the server returned it. */
export type TurnSender = (slot: TurnSlot) => Promise<{ record: RequestRecord; reply: string }>

/** What the run looked like as a schedule: steady window, client lag, most in flight. Records are the sender's to fold. */
export interface ConversationRun {
  t0: number
  /** All users busy: from the last user's first send to the first user running out of conversations. */
  steady: { start: number; end: number } | null
  maxInFlight: number
  aborted?: string
}

export async function runConversations(
  convs: readonly Conversation[],
  users: number,
  opts: { history: HistoryMode; thinkTimeS: number; system?: string },
  send: TurnSender,
  check?: AbortCheck,
  observer?: ScheduleObserver,
): Promise<ConversationRun> {
  if (!Number.isInteger(users) || users < 1)
    throw new Error(`conversation users must be a whole number ≥ 1, got ${users}: fix the case's conversation.users or concurrency option.`)
  if (!(opts.thinkTimeS >= 0)) throw new Error(`conversation thinkTimeS must be ≥ 0 s, got ${opts.thinkTimeS}: fix the case's conversation.thinkTimeS option.`)
  const ac = new AbortController()
  const t0 = performance.now()
  const run: ConversationRun = { t0, steady: null, maxInFlight: 0 }
  let next = 0
  let inFlight = 0
  let started = 0
  let steadyStart: number | undefined
  let steadyEnd = Infinity
  const window = () => ({ start: steadyStart, end: steadyEnd })
  const user = async (): Promise<void> => {
    let first = true
    for (let c = next++; c < convs.length && run.aborted === undefined; c = next++) {
      const conv = convs[c]
      const replies: string[] = []
      let due = performance.now()
      for (let k = 0; k < conv.length && run.aborted === undefined; k++) {
        await waitUntil(due, ac.signal)
        if (run.aborted !== undefined) break
        const now = performance.now()
        if (first && ++started === Math.min(users, convs.length)) steadyStart = now
        first = false
        observer?.release(Math.max(0, now - due), due - t0, now - t0)
        run.maxInFlight = Math.max(run.maxInFlight, ++inFlight)
        let res: { record: RequestRecord; reply: string }
        try {
          res = await send({
            conversation: c + 1,
            turn: k + 1,
            messages: turnMessages(conv, k, replies, opts.history, opts.system),
            maxTokens: conv[k].maxTokens,
            tDue: due,
            signal: ac.signal,
            window,
          })
        } finally {
          inFlight--
        }
        const why = check?.(res.record)
        if (why !== undefined && run.aborted === undefined) {
          run.aborted = why
          ac.abort(new Error(why))
        }
        // a failed turn ends the conversation: its history would be missing a reply
        if (res.record.outcome !== 'ok') break
        replies.push(res.reply)
        due = performance.now() + opts.thinkTimeS * 1000
      }
    }
    if (steadyEnd === Infinity) steadyEnd = performance.now()
  }
  await Promise.all(Array.from({ length: users }, () => user()))
  if (steadyStart !== undefined && steadyEnd > steadyStart) run.steady = { start: steadyStart, end: steadyEnd }
  return run
}
