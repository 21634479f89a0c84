// Multi-turn cases against the simulator: turn k resends the history with the replies exactly as the server
// returned them (or, asked to, as the dataset recorded them), waits the think time, and reports per-turn figures.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getKnobs } from '../../env/index.ts'
import { planLevels } from '../../helpers/load/plan.ts'
import { runLoadCase } from '../../helpers/load/run-load.ts'
import { loadShareGptConversations } from '../../helpers/load/sharegpt.ts'
import { createClient } from '../../helpers/protocols/index.ts'
import type { ChatMessage, RequestRecord } from '../../helpers/types.ts'
import { simRef, useTempRunDir, type SimRef } from './sim-ref.ts'

let s: SimRef
let runDir = ''
const ident = { caseName: 'conv', fullName: 'conv', file: 'f' }
beforeAll(async () => {
  runDir = useTempRunDir()
  s = await simRef({ ttftMs: 5, itlMs: 1 }, 'openai-chat')
})
afterAll(async () => s?.close())

type Logged = { path: string; body: { messages: ChatMessage[]; max_tokens: number } }
async function chatLog(from: number): Promise<Logged[]> {
  const all = (await (await fetch(`${s.url}/_sim/requests`)).json()) as Logged[]
  return all.slice(from).filter((e) => e.path === '/v1/chat/completions')
}
const logLength = async () => ((await (await fetch(`${s.url}/_sim/requests`)).json()) as unknown[]).length

const dir = mkdtempSync(join(tmpdir(), 'fuze-conv-'))
const SHAREGPT = join(dir, 'multi.json')
writeFileSync(
  SHAREGPT,
  JSON.stringify([
    {
      conversations: [
        { from: 'system', value: 'be brief' },
        { from: 'human', value: 'first question' },
        { from: 'gpt', value: 'first answer here' },
        { from: 'human', value: 'second question' },
        { from: 'gpt', value: 'ok' },
        { from: 'human', value: 'dangling' },
      ],
    },
    { conversations: [{ from: 'gpt', value: 'no human' }] },
    {
      conversations: [
        { from: 'human', value: 'alone question' },
        { from: 'gpt', value: 'alone answer' },
      ],
    },
  ]),
)

describe('multi-turn conversations', () => {
  it('resends each reply as the server returned it, growing the prompt turn by turn', async () => {
    const direct = await createClient('openai-chat', s.url, { keepText: true }).generate({
      prompt: 'x',
      maxTokens: 5,
      temperature: 0,
      ignoreEos: true,
      timeoutMs: 10_000,
      requestId: 'direct',
      model: 'sim-model',
    })
    const opts = { conversation: { turns: 3, conversations: 4, userTokens: 8 }, concurrency: 2, numPredict: 5, warmup: 1, protocol: 'openai-chat' as const }
    const [level] = planLevels(opts, getKnobs())!
    const from = await logLength()
    const meta = await runLoadCase(s.server, opts, level, ident)
    const log = (await chatLog(from)).slice(1)
    expect(log).toHaveLength(12)
    const turn2 = log.filter((e) => e.body.messages.length === 3)
    expect(turn2).toHaveLength(4)
    for (const e of turn2) expect(e.body.messages[1]).toEqual({ role: 'assistant', content: direct.text })
    const turn3 = log.filter((e) => e.body.messages.length === 5)
    for (const e of turn3) expect(e.body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user'])
    const c = meta.summary.workload?.conversation
    expect(c).toMatchObject({ conversations: 4, completed: 4, users: 2, history: 'returned', source: 'synthetic' })
    expect(c?.turns.map((t) => t.turn)).toEqual([1, 2, 3])
    expect(c?.turns.map((t) => t.requests)).toEqual([4, 4, 4])
    const prompt = c!.turns.map((t) => t.promptTokensMean!)
    expect(prompt[1]).toBeGreaterThan(prompt[0])
    expect(prompt[2]).toBeGreaterThan(prompt[1])
    expect(meta.summary.load).toMatchObject({ mode: 'closed', concurrency: 2, maxInFlight: 2 })
  })

  it("waits the think time between a reply and the next turn, and can resend the dataset's replies", async () => {
    const opts = {
      conversation: { sharegpt: SHAREGPT, history: 'recorded' as const, thinkTimeS: 0.15, system: 'sys' },
      warmup: 0,
      protocol: 'openai-chat' as const,
    }
    const [level] = planLevels(opts, getKnobs())!
    const from = await logLength()
    const meta = await runLoadCase(s.server, opts, level, ident)
    const log = await chatLog(from)
    expect(log.map((e) => e.body.messages.map((m) => m.content))).toEqual([
      ['sys', 'first question'],
      ['sys', 'first question', 'first answer here', 'second question'],
      ['sys', 'alone question'],
    ])
    // each reply's length sizes that turn (tokens of the recorded reply, by the server's tokenizer)
    expect(log.map((e) => e.body.max_tokens)).toEqual([5, 1, 4])
    const conv = meta.summary.workload?.conversation
    expect(conv).toMatchObject({ conversations: 2, completed: 2, history: 'recorded', source: 'sharegpt', thinkTimeS: 0.15 })
    const recs = [...meta.summary.workload!.conversation!.turns]
    expect(recs.map((t) => t.requests)).toEqual([2, 1])
  })

  it('turn k+1 leaves no earlier than the think time after turn k ended', async () => {
    const opts = { conversation: { turns: 3, conversations: 1, thinkTimeS: 0.1 }, warmup: 0, numPredict: 2 }
    const [level] = planLevels(opts, getKnobs())!
    await runLoadCase(s.server, opts, level, { ...ident, caseName: 'think', fullName: 'think' })
    const lines = readFileSync(join(runDir, 'requests.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RequestRecord & { case: string })
    const run = lines.filter((r) => r.case === 'think' && r.phase === 'run').sort((a, b) => a.tStartMs - b.tStartMs)
    expect(run).toHaveLength(3)
    for (let i = 1; i < 3; i++) expect(run[i].tStartMs).toBeGreaterThanOrEqual(run[i - 1].tStartMs + run[i - 1].e2eMs! + 100)
  })

  it('reads ShareGPT conversations turn by turn and refuses recorded history without a dataset', async () => {
    expect(loadShareGptConversations(SHAREGPT)).toEqual([
      [
        { prompt: 'first question', reply: 'first answer here' },
        { prompt: 'second question', reply: 'ok' },
      ],
      [{ prompt: 'alone question', reply: 'alone answer' }],
    ])
    expect(loadShareGptConversations(SHAREGPT, 1, 1)).toEqual([[{ prompt: 'first question', reply: 'first answer here' }]])
    const opts = { conversation: { history: 'recorded' as const, turns: 2 }, warmup: 0 }
    const [level] = planLevels(opts, getKnobs())!
    await expect(runLoadCase(s.server, opts, level, ident)).rejects.toThrow(
      "conversation history 'recorded' resends the dataset's replies, and synthetic conversations have none: give conversation.sharegpt or use history 'returned'.",
    )
  })
})
