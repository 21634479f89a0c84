// Prompts for specs: the configured short prompt, and long prompts of roughly N tokens for prefill cases.
import { getKnobs } from '../env/index.ts'

// Common English words that SentencePiece/BPE vocabularies encode as one token each (with the leading space),
// so N words ≈ N tokens. Exact token-length prompts use the server's tokenizer (helpers/load).
export const WORDS: readonly string[] =
  'the of and to in is that it was for on are as with his they at be this from have or by one had not but what all were when we there can an your which their said if do will each about how up out them then she many some so these would other into has more her two like him see time could no make than first been its who now people my made over did down only way find use may water long little very after words called just where most know'.split(
    ' ',
  )

export const prompts = {
  /** BENCH_PROMPT (a short fixed prompt by default). */
  get short(): string {
    return getKnobs().BENCH_PROMPT
  },
  /** About `n` tokens of text (one common word per token); deterministic. */
  tokens(n: number): string {
    const out: string[] = []
    for (let i = 0; i < n; i++) out.push(WORDS[(i * 7919) % WORDS.length])
    return out.join(' ')
  },
}
