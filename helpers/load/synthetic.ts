// Synthetic prompts of a target token length (mean ± stddev). Each prompt starts differently (seeded words), so
// a server's prefix cache cannot turn prefill into a lookup; the length is trimmed against the tokenizer until exact.
import { WORDS } from '../prompts.ts'
import { normal, seededRng } from './rng.ts'
import type { PromptTokenizer } from './tokenizer.ts'

export interface LengthSpec {
  mean: number
  std?: number
}

export function checkLength(what: string, spec: LengthSpec): void {
  if (!(spec.mean >= 1) || !Number.isFinite(spec.mean) || (spec.std ?? 0) < 0)
    throw new Error(
      `${what} length needs mean ≥ 1 and stddev ≥ 0 (tokens), got mean ${spec.mean}, stddev ${spec.std}: fix the case's ${what} option or pick a BENCH_PRESET.`,
    )
}

/** Draw `n` lengths from a normal(mean, std), rounded and clamped to ≥ 1. */
export function drawLengths(spec: LengthSpec, n: number, seed: number): number[] {
  const rng = seededRng(seed)
  return Array.from({ length: n }, () => Math.max(1, Math.round(normal(rng, spec.mean, spec.std ?? 0))))
}

function wordsText(rng: () => number, n: number): string {
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(WORDS[Math.floor(rng() * WORDS.length)])
  return out.join(' ')
}

export interface SizedPrompt {
  text: string
  /** Tokens as the tokenizer counts them (exact when tokenizer.source is 'tokenizer'). */
  tokens: number
}

// words that are a single token (with their leading space) in SentencePiece/BPE vocabularies and the simulator's
const ONE_TOKEN = ['the', 'of', 'and', 'to', 'in', 'is', 'it', 'for', 'on', 'as']

/**
 * One prompt of `target` tokens: start from target words, correct by the measured difference (a word is usually
 * one token), then step word by word — drop the last when over, append a one-token word when under.
 */
export async function promptOfLength(target: number, tokenizer: PromptTokenizer, seed: number, head?: string): Promise<SizedPrompt> {
  // `head` (kept whole) makes prompts of different seeds differ from their first token on
  const words = [...(head ? [head] : []), ...wordsText(seededRng(seed), Math.max(1, target)).split(' ')]
  const keep = head ? 2 : 1
  let text = words.join(' ')
  let tokens = await tokenizer.count(text)
  for (let step = 0; step < 3 && Math.abs(tokens - target) > 2; step++) {
    const n = Math.max(keep, words.length + (target - tokens))
    if (n < words.length) words.length = n
    else for (let i = words.length; i < n; i++) words.push(ONE_TOKEN[i % ONE_TOKEN.length])
    text = words.join(' ')
    tokens = await tokenizer.count(text)
  }
  let best: SizedPrompt = { text, tokens }
  for (let step = 0; step < 24 && tokens !== target; step++) {
    if (tokens > target && words.length > keep) words.pop()
    else words.push(ONE_TOKEN[step % ONE_TOKEN.length])
    text = words.join(' ')
    tokens = await tokenizer.count(text)
    if (Math.abs(tokens - target) < Math.abs(best.tokens - target)) best = { text, tokens }
  }
  return tokens === target ? { text, tokens } : best
}
