// Mooncake hash_ids as shared prompt blocks (issue 24 item 3): requests that list the same leading ids send the same
// leading prompt tokens (cut with the server's tokenizer), so a replay keeps the trace's prefix reuse; ids that
// differ give different text from that block on.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getKnobs } from '../../env/index.ts'
import { planLevels } from '../../helpers/load/plan.ts'
import { runLoadCase } from '../../helpers/load/run-load.ts'
import { tokenizerFor, type PromptTokenizer } from '../../helpers/load/tokenizer.ts'
import { parseTrace } from '../../helpers/load/trace.ts'
import { simRef, useTempRunDir, type SimRef } from './sim-ref.ts'

let s: SimRef
let tok: PromptTokenizer
beforeAll(async () => {
  useTempRunDir()
  s = await simRef({ ttftMs: 2, itlMs: 1 })
  tok = await tokenizerFor(s.url, 'openai-completions')
})
afterAll(async () => s?.close())

const common = (a: string, b: string) => {
  let i = 0
  while (i < a.length && a[i] === b[i]) i++
  return a.slice(0, i)
}

describe('Mooncake hash_ids', () => {
  it('are read, and a clamped prompt keeps only the blocks it reaches into', () => {
    const t = parseTrace('m.jsonl', '{"timestamp": 0, "input_length": 1100, "output_length": 5, "hash_ids": [7, 8, 9]}\n', { maxInputTokens: 600 })
    expect(t.entries[0]).toMatchObject({ inputTokens: 600, hashIds: [7, 8] })
    expect(() => parseTrace('m.jsonl', '{"timestamp": 0, "input_length": 1, "output_length": 1, "hash_ids": ["a"]}\n')).toThrow(
      'trace m.jsonl: line 1 has "hash_ids" that are not a list of whole numbers.',
    )
  })

  it('become shared prompt blocks of blockTokens tokens: shared leading ids, shared leading text', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fuze-mooncake-')), 'mooncake.jsonl')
    writeFileSync(
      file,
      [
        { timestamp: 0, input_length: 40, output_length: 2, hash_ids: [1, 2, 3] },
        { timestamp: 20, input_length: 44, output_length: 2, hash_ids: [1, 2, 4] },
        { timestamp: 40, input_length: 20, output_length: 2, hash_ids: [1, 5] },
        { timestamp: 60, input_length: 10, output_length: 2, hash_ids: [6] },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    )
    const opts = { trace: { file, blockTokens: 16 }, warmup: 0 }
    const before = ((await (await fetch(`${s.url}/_sim/requests`)).json()) as unknown[]).length
    const meta = await runLoadCase(s.server, opts, planLevels(opts, getKnobs())![0], { caseName: 'mooncake', fullName: 'mooncake', file: 'f' })
    const sent = ((await (await fetch(`${s.url}/_sim/requests`)).json()) as { path: string; body: { prompt: string } }[])
      .slice(before)
      .filter((e) => e.path === '/v1/completions')
      .map((e) => e.body.prompt)
    expect(sent).toHaveLength(4)
    // every prompt is exactly its input length, as the server counts it
    expect(await Promise.all(sent.map((p) => tok.count(p)))).toEqual([40, 44, 20, 10])
    // [1, 2, …] twice: the first two blocks (32 tokens) are the same text; [1, 5]: the first block only
    expect(await tok.count(common(sent[0], sent[1]).trimEnd())).toBeGreaterThanOrEqual(32)
    expect(await tok.count(common(sent[0], sent[1]).trimEnd())).toBeLessThan(34)
    expect(await tok.count(common(sent[0], sent[2]).trimEnd())).toBeGreaterThanOrEqual(16)
    expect(await tok.count(common(sent[0], sent[2]).trimEnd())).toBeLessThan(18)
    expect(common(sent[0], sent[3]).length).toBeLessThan(12)
    expect(meta.summary.workload?.trace).toMatchObject({ format: 'mooncake-jsonl', requests: 4, blocks: { blockTokens: 16, distinct: 6, sharedFirst: 2 } })
  })
})
