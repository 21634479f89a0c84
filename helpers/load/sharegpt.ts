// ShareGPT-format conversation files (the format vLLM's benchmark_serving reads): a JSON array of
// { conversations: [{ from: 'human' | 'gpt' | …, value }] }. A conversation gives one request: its first human
// turn is the prompt and the reply that follows sets the output length.
import { readFileSync } from 'node:fs'

export interface ShareGptPair {
  prompt: string
  reply: string
}

function bad(path: string, what: string): Error {
  return new Error(
    `ShareGPT file ${path}: ${what}. Expected a JSON array of {"conversations": [{"from": "human", "value": "…"}, {"from": "gpt", "value": "…"}]} (the ShareGPT_V3 format); fix the file or the case's sharegpt option.`,
  )
}

function readEntries(path: string): unknown[] {
  let raw: string
  try {
    raw = readFileSync(path, 'utf8')
  } catch (e) {
    throw new Error(`ShareGPT file ${path} cannot be read (${(e as Error).message}): check the path given to the case's sharegpt option.`, { cause: e })
  }
  let data: unknown
  try {
    data = JSON.parse(raw)
  } catch (e) {
    throw bad(path, `not valid JSON (${(e as Error).message})`)
  }
  if (!Array.isArray(data)) throw bad(path, 'the top level is not an array')
  return data
}

type Turn = { from?: unknown; value?: unknown }
const isHuman = (t: Turn | undefined) => t?.from === 'human' || t?.from === 'user'
const text = (t: Turn | undefined): string | undefined => (typeof t?.value === 'string' && t.value.trim() !== '' ? t.value : undefined)

/** Prompt/reply pairs in file order; conversations without a human turn followed by a reply are skipped. */
export function loadShareGpt(path: string, limit = Infinity): ShareGptPair[] {
  const data = readEntries(path)
  const out: ShareGptPair[] = []
  for (const entry of data) {
    if (out.length >= limit) break
    const turns = (entry as { conversations?: unknown })?.conversations
    if (!Array.isArray(turns)) continue
    const i = turns.findIndex((t) => (t as { from?: unknown })?.from === 'human' && typeof (t as { value?: unknown }).value === 'string')
    const next = turns[i + 1] as { from?: unknown; value?: unknown } | undefined
    if (i < 0 || !next || typeof next.value !== 'string' || next.from === 'human') continue
    const prompt = (turns[i] as { value: string }).value
    if (prompt.trim() === '' || next.value.trim() === '') continue
    out.push({ prompt, reply: next.value })
  }
  if (out.length === 0) throw bad(path, 'no conversation has a human turn followed by a reply')
  return out
}

/**
 * Whole conversations for multi-turn cases: each human turn with the reply that follows it, in order, up to
 * `maxTurns`. A conversation ends at the first human turn without a reply; ones without a single pair are skipped.
 */
export function loadShareGptConversations(path: string, limit = Infinity, maxTurns = Infinity): ShareGptPair[][] {
  const out: ShareGptPair[][] = []
  for (const entry of readEntries(path)) {
    if (out.length >= limit) break
    const turns = (entry as { conversations?: unknown })?.conversations
    if (!Array.isArray(turns)) continue
    const pairs: ShareGptPair[] = []
    // a leading system/gpt message is not a user turn: start at the first human one
    for (let i = turns.findIndex((t) => isHuman(t as Turn)); i >= 0 && i + 1 < turns.length && pairs.length < maxTurns; i += 2) {
      const user = turns[i] as Turn
      const reply = turns[i + 1] as Turn
      if (!isHuman(user) || isHuman(reply) || text(user) === undefined || text(reply) === undefined) break
      pairs.push({ prompt: text(user)!, reply: text(reply)! })
    }
    if (pairs.length > 0) out.push(pairs)
  }
  if (out.length === 0) throw bad(path, 'no conversation has a human turn followed by a reply')
  return out
}
