// Mooncake hash_ids as prompt blocks: each id names one block of `blockTokens` tokens (512 in Mooncake's traces),
// the same text wherever the id appears, so requests that list the same leading ids send the same leading prompt
// tokens and a server's prefix cache can reuse them, as it did for the trace's users (AIPerf and vLLM's bench
// synthesize Mooncake prompts the same way). Blocks are cut with the server's tokenizer where it has one; a
// request's last block holds what is left of its input length (a prefix of that id's whole block).
import { promptOfLength } from './synthetic.ts'
import type { PromptTokenizer } from './tokenizer.ts'

export class BlockPrompts {
  /** Block text by `${id}:${tokens}` (a shared block is cut once). */
  private readonly texts = new Map<string, string>()
  /** Ids seen so far, and how many requests began with an id an earlier request had begun with. */
  private readonly seen = new Set<number>()
  sharedFirst = 0

  constructor(
    private readonly tokenizer: PromptTokenizer,
    readonly blockTokens: number,
    private readonly seed: number,
  ) {}

  /** Distinct block ids the prompts used. */
  get blocks(): number {
    return this.seen.size
  }

  private async block(id: number, tokens: number): Promise<string> {
    const key = `${id}:${tokens}`
    let text = this.texts.get(key)
    if (text === undefined) {
      // the same seed for every length of one id: a shorter cut draws the same words first
      text = (await promptOfLength(tokens, this.tokenizer, this.seed * 7919 + id)).text
      this.texts.set(key, text)
    }
    return text
  }

  /** The prompt of one request: its blocks in order, the last one cut to what is left of `inputTokens`. */
  async prompt(hashIds: readonly number[], inputTokens: number): Promise<{ text: string; tokens: number }> {
    if (hashIds.length > 0 && this.seen.has(hashIds[0])) this.sharedFirst++
    const parts: string[] = []
    for (let i = 0; i < hashIds.length; i++) {
      const left = inputTokens - i * this.blockTokens
      if (left <= 0) break
      const last = i === hashIds.length - 1 || left <= this.blockTokens
      this.seen.add(hashIds[i])
      parts.push(await this.block(hashIds[i], last ? left : this.blockTokens))
      if (last) break
    }
    const text = parts.join(' ')
    return { text, tokens: await this.tokenizer.count(text) }
  }
}
