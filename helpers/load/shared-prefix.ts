// Shared-prefix prompts (SGLang's generated-shared-prefix, vLLM's prefix repetition): N groups, each with its own
// prefix of P tokens, and every request of a group = that prefix + a suffix of S tokens of its own. Lengths are
// cut with the server's tokenizer where it has one: the prefix alone counts P and prefix + suffix counts P + S,
// so the first P tokens of every request of a group are the same tokens a prefix cache can reuse.
import { promptOfLength } from './synthetic.ts'
import type { PromptTokenizer } from './tokenizer.ts'

export interface SharedPrefixSpec {
  /** Distinct prefixes; request i belongs to group i mod groups (default 1). */
  groups?: number
  /** Tokens of each group's prefix. */
  prefixTokens: number
  /** Tokens of each request's own suffix (default 32). */
  suffixTokens?: number
}

export interface SharedPrefixPrompt {
  text: string
  /** The group's prefix, which `text` starts with. */
  prefix: string
  group: number
  /** Tokens of prefix + suffix as counted (exact when the tokenizer is the server's). */
  tokens: number
  prefixTokens: number
}

export function checkSharedPrefix(spec: SharedPrefixSpec): Required<SharedPrefixSpec> {
  const groups = spec.groups ?? 1
  const suffixTokens = spec.suffixTokens ?? 32
  const whole = (n: number, min: number) => Number.isInteger(n) && n >= min
  if (!whole(groups, 1) || !whole(spec.prefixTokens, 1) || !whole(suffixTokens, 1))
    throw new Error(
      `sharedPrefix needs whole numbers groups ≥ 1, prefixTokens ≥ 1 and suffixTokens ≥ 1, got groups ${groups}, prefixTokens ${spec.prefixTokens}, suffixTokens ${suffixTokens}: fix the case's sharedPrefix option.`,
    )
  return { groups, prefixTokens: spec.prefixTokens, suffixTokens }
}

/** Counts what `text` adds after `prefix` (joined by one space, a word boundary every vocabulary keeps). */
function after(prefix: string, prefixCount: number, tokenizer: PromptTokenizer): PromptTokenizer {
  return { source: tokenizer.source, count: async (text) => (await tokenizer.count(`${prefix} ${text}`)) - prefixCount }
}

export async function sharedPrefixPrompts(spec: SharedPrefixSpec, n: number, tokenizer: PromptTokenizer, seed: number): Promise<SharedPrefixPrompt[]> {
  const s = checkSharedPrefix(spec)
  const prefixes: { text: string; tokens: number }[] = []
  for (let g = 0; g < Math.min(s.groups, n); g++) prefixes.push(await promptOfLength(s.prefixTokens, tokenizer, seed * 104729 + g, `Group ${g + 1}:`))
  const out: SharedPrefixPrompt[] = []
  for (let i = 0; i < n; i++) {
    const g = i % s.groups
    const p = prefixes[g]
    // the suffix starts with the request number, so no two requests of a group share more than the prefix
    const suffix = await promptOfLength(s.suffixTokens, after(p.text, p.tokens, tokenizer), seed * 7919 + i + 1, `Request ${i + 1}:`)
    out.push({ text: `${p.text} ${suffix.text}`, prefix: p.text, group: g, tokens: p.tokens + suffix.tokens, prefixTokens: p.tokens })
  }
  return out
}
