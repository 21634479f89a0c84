// Counting prompt tokens the way the server will: llama-server and vLLM (and SGLang) expose POST /tokenize, so
// synthetic prompts can be cut to an exact length. Other servers get a calibrated estimate, recorded as such.
import type { ProtocolName } from '../protocols/index.ts'

export interface PromptTokenizer {
  readonly source: 'tokenizer' | 'estimate'
  /** Tokens of `text` without special tokens (BOS is the server's business and the same for every prompt). */
  count(text: string): Promise<number>
}

/**
 * Tokens per word of the synthetic vocabulary (helpers/prompts.ts WORDS) measured on llama-server with the Llama
 * SentencePiece vocab (ggml-vocab-llama-spm): every common word with its leading space is one token.
 */
export const ESTIMATE_TOKENS_PER_WORD = 1
/** Tokens per character for arbitrary text (ShareGPT) when no tokenizer answers: the usual ~4 chars per token of English BPE/SPM vocabularies. */
export const ESTIMATE_TOKENS_PER_CHAR = 0.25

export const estimateTokenizer: PromptTokenizer = {
  source: 'estimate',
  count: async (text) => {
    const words = text.trim() === '' ? 0 : text.trim().split(/\s+/).length
    // prefer the per-word figure for our own word-built prompts, the per-char one for long free text
    return Math.max(Math.round(words * ESTIMATE_TOKENS_PER_WORD), Math.round(text.length * ESTIMATE_TOKENS_PER_CHAR), text.length > 0 ? 1 : 0)
  },
}

const HAS_TOKENIZE: ReadonlySet<ProtocolName> = new Set(['openai-completions', 'openai-chat', 'llamacpp'])

async function tokenizeOnce(baseUrl: string, path: string, text: string, model: string | undefined, timeoutMs: number): Promise<number> {
  // one body both servers read: llama-server takes `content`/`add_special`, vLLM `prompt`/`add_special_tokens` (extra fields are ignored)
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ content: text, prompt: text, add_special: false, add_special_tokens: false, ...(model ? { model } : {}) }),
    signal: AbortSignal.timeout(timeoutMs),
  })
  const body = (await res.json().catch(() => null)) as { tokens?: unknown; count?: unknown } | null
  if (!res.ok || body === null) throw new Error(`POST ${baseUrl}${path} answered ${res.status}`)
  if (typeof body.count === 'number') return body.count
  if (Array.isArray(body.tokens)) return body.tokens.length
  throw new Error(`POST ${baseUrl}${path} answered without 'tokens' or 'count'`)
}

/**
 * The server's own tokenizer when it has one (probed once), else the estimate. `path` is the stack's tokenize endpoint
 * (its tokenizePath hook): null = none, undefined = `/tokenize` where the protocol's servers usually have one.
 */
export async function tokenizerFor(
  baseUrl: string,
  protocol: ProtocolName,
  opts: { model?: string; timeoutMs?: number; path?: string | null } = {},
): Promise<PromptTokenizer> {
  const timeoutMs = opts.timeoutMs ?? 10_000
  const path = opts.path === undefined ? (HAS_TOKENIZE.has(protocol) ? '/tokenize' : null) : opts.path
  if (path === null) return estimateTokenizer
  try {
    await tokenizeOnce(baseUrl, path, 'probe', opts.model, timeoutMs)
  } catch {
    return estimateTokenizer
  }
  return { source: 'tokenizer', count: (text) => tokenizeOnce(baseUrl, path, text, opts.model, timeoutMs) }
}
