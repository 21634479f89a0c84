// What each request of a load case sends: the prompt and the output length, from a fixed prompt, synthetic
// prompts of a target token length, a ShareGPT file, shared-prefix groups or a replayed trace. Requests take
// items in order and wrap around.
import { fnv1a } from '../rng.ts'
import type { ChatMessage, WorkloadReport } from '../types.ts'
import { sharedPrefixPrompts, type SharedPrefixSpec } from './shared-prefix.ts'
import { loadShareGpt } from './sharegpt.ts'
import { BlockPrompts } from './trace-blocks.ts'
import { MOONCAKE_BLOCK_TOKENS } from './trace.ts'
import { checkLength, drawLengths, promptOfLength, type LengthSpec } from './synthetic.ts'
import type { PromptTokenizer } from './tokenizer.ts'

export interface WorkItem {
  prompt: string | ChatMessage[]
  /** Prompt tokens counted before sending (null: unknown until the server reports it). */
  promptTokens: number | null
  maxTokens: number
  /** Shared-prefix group (0-based) of this item. */
  group?: number
}

export interface Workload {
  source: Exclude<WorkloadReport['kind'], 'conversation'>
  lengthSource: 'tokenizer' | 'estimate' | 'server'
  items: WorkItem[]
  /** A Mooncake trace's hash_ids blocks (shared prompt prefixes). */
  blocks?: BlockPrompts
}

export interface WorkloadSpec {
  /** Fixed prompt (used when neither input nor sharegpt is given). */
  prompt: string | ChatMessage[]
  /** Output tokens when no output spec or ShareGPT reply says otherwise. */
  numPredict: number
  input?: LengthSpec
  output?: LengthSpec
  sharegpt?: string
  /** How many distinct items to prepare (requests cycle through them). */
  distinct: number
  seed: number
  /** Upper bound on ShareGPT reply lengths (tokens), so one long reply does not dominate a run. */
  maxOutput?: number
  sharedPrefix?: SharedPrefixSpec
  /** A trace's (input, output) tokens per request, in replay order: one item each; Mooncake hash_ids become shared blocks. */
  trace?: readonly { inputTokens: number; outputTokens: number; hashIds?: readonly number[] }[]
  /** Tokens per hash_ids block (default 512). */
  blockTokens?: number
}

/**
 * The seed of a case's prompts: the case's own (`seed`, default 1) mixed with its file and name, which carries the
 * level (`decode [c=4]`), so no two cases or levels of a run send the same prompts and a server's prefix cache
 * never answers one level with the last one's prompts. Every process of a sharded case derives the same seed.
 */
export function promptSeed(ident: { file: string; caseName: string }, seed = 1): number {
  return (fnv1a(`${ident.file}\u0000${ident.caseName}`) ^ Math.imul(seed, 0x9e3779b1)) >>> 0
}

export function workItem(w: Workload, index: number): WorkItem {
  return w.items[index % w.items.length]
}

export async function buildWorkload(spec: WorkloadSpec, tokenizer: PromptTokenizer): Promise<Workload> {
  const n = Math.max(1, spec.distinct)
  if (spec.output) checkLength('output', spec.output)
  const outputs = spec.output ? drawLengths(spec.output, n, spec.seed + 1) : Array.from({ length: n }, () => spec.numPredict)
  if (spec.trace !== undefined) {
    const items: WorkItem[] = []
    const blocks = spec.trace.some((e) => e.hashIds !== undefined)
      ? new BlockPrompts(tokenizer, spec.blockTokens ?? MOONCAKE_BLOCK_TOKENS, spec.seed)
      : undefined
    for (const [i, e] of spec.trace.entries()) {
      const p =
        blocks !== undefined && e.hashIds !== undefined
          ? await blocks.prompt(e.hashIds, e.inputTokens)
          : await promptOfLength(e.inputTokens, tokenizer, spec.seed * 7919 + i)
      items.push({ prompt: p.text, promptTokens: p.tokens, maxTokens: e.outputTokens })
    }
    return { source: 'trace', lengthSource: tokenizer.source, items, ...(blocks !== undefined ? { blocks } : {}) }
  }
  if (spec.sharedPrefix !== undefined) {
    const ps = await sharedPrefixPrompts(spec.sharedPrefix, n, tokenizer, spec.seed)
    return {
      source: 'shared-prefix',
      lengthSource: tokenizer.source,
      items: ps.map((p, i) => ({ prompt: p.text, promptTokens: p.tokens, maxTokens: outputs[i], group: p.group })),
    }
  }
  if (spec.sharegpt !== undefined) {
    const pairs = loadShareGpt(spec.sharegpt, n)
    const items: WorkItem[] = []
    for (const p of pairs) {
      const reply = await tokenizer.count(p.reply)
      items.push({ prompt: p.prompt, promptTokens: await tokenizer.count(p.prompt), maxTokens: Math.max(1, Math.min(reply, spec.maxOutput ?? 1024)) })
    }
    return { source: 'sharegpt', lengthSource: tokenizer.source, items }
  }
  if (spec.input) {
    checkLength('input', spec.input)
    const lengths = drawLengths(spec.input, n, spec.seed)
    const items: WorkItem[] = []
    for (let i = 0; i < n; i++) {
      const p = await promptOfLength(lengths[i], tokenizer, spec.seed * 7919 + i)
      items.push({ prompt: p.text, promptTokens: p.tokens, maxTokens: outputs[i] })
    }
    return { source: 'synthetic', lengthSource: tokenizer.source, items }
  }
  const exact = tokenizer.source === 'tokenizer' && typeof spec.prompt === 'string'
  const promptTokens = exact ? await tokenizer.count(spec.prompt as string) : null
  return {
    source: 'fixed',
    lengthSource: exact ? 'tokenizer' : 'server',
    items: outputs.map((maxTokens) => ({ prompt: spec.prompt, promptTokens, maxTokens })),
  }
}
