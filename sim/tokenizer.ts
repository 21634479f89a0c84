// The simulator's tokenizer and output vocabulary. Deliberately simple and documented (README):
// a token is a run of whitespace followed by 1-4 letters/digits, or whitespace plus one other
// character, or trailing whitespace. Ids are an FNV-1a hash of the piece, so they are stable.
import { fnv1a } from './rng.ts'

const PIECE = /\s*[\p{L}\p{N}]{1,4}|\s*[^\s\p{L}\p{N}]|\s+$/gu
export const VOCAB_SIZE = 32000

export function tokenPieces(text: string): string[] {
  return text.match(PIECE) ?? []
}

export function tokenId(piece: string): number {
  return 3 + (fnv1a(piece) % (VOCAB_SIZE - 3))
}

export function tokenize(text: string): number[] {
  return tokenPieces(text).map(tokenId)
}

/** Chat prompts count as the text `role: content\n` per message. */
export function chatPromptText(messages: unknown): string {
  if (!Array.isArray(messages)) return ''
  return messages
    .map((m: { role?: unknown; content?: unknown }) => {
      const content =
        typeof m?.content === 'string'
          ? m.content
          : Array.isArray(m?.content)
            ? m.content.map((p: { text?: unknown }) => (typeof p?.text === 'string' ? p.text : '')).join('')
            : ''
      return `${String(m?.role ?? 'user')}: ${content}\n`
    })
    .join('')
}

/** Token count of a prompt given as text, token ids (OpenAI/llama.cpp allow arrays), or missing. */
export function promptTokenCount(prompt: unknown): number {
  if (typeof prompt === 'string') return tokenize(prompt).length
  if (Array.isArray(prompt)) {
    if (prompt.every((x) => typeof x === 'number')) return prompt.length
    return prompt.reduce((n: number, p) => n + promptTokenCount(p), 0)
  }
  return 0
}

// Output words of at most 4 letters, each one token under the rule above, so re-tokenizing the
// generated text gives back exactly the generated count.
const WORDS = (
  'the of and to in is it for on as with be at by this that from or an are was but not all can ' +
  'has had one we you they new more time data fast slow load run test user path node text word ' +
  'code file line page rate peak mean bulk gate loop sync core call back then when what why how ' +
  'low high good fine best open read send hold keep next last each many much some most also just'
).split(' ')

/** Text of the output token at position i for a seed: independent of request, so runs compare. */
export function outputToken(seed: number, i: number): { text: string; id: number } {
  const text = ` ${WORDS[fnv1a(`${seed}:${i}`) % WORDS.length]}`
  return { text, id: tokenId(text) }
}
