// Shared-prefix prompts cut with the simulator's own /tokenize, and a shared-prefix load case end to end: what the
// server received is every group's prefix, untouched by the unique tag, followed by each request's own suffix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getKnobs } from '../../env/index.ts'
import { planLevels } from '../../helpers/load/plan.ts'
import { runLoadCase } from '../../helpers/load/run-load.ts'
import { checkSharedPrefix, sharedPrefixPrompts } from '../../helpers/load/shared-prefix.ts'
import { tokenizerFor, type PromptTokenizer } from '../../helpers/load/tokenizer.ts'
import { simRef, useTempRunDir, type SimRef } from './sim-ref.ts'

let s: SimRef
let tok: PromptTokenizer
beforeAll(async () => {
  useTempRunDir()
  s = await simRef({ ttftMs: 5, itlMs: 1 })
  tok = await tokenizerFor(s.url, 'openai-completions')
})
afterAll(async () => s?.close())

function common(a: string, b: string): string {
  let i = 0
  while (i < a.length && a[i] === b[i]) i++
  return a.slice(0, i)
}

describe('sharedPrefixPrompts', () => {
  it('cuts every prefix to P and every prompt to P + S tokens exactly, by the server tokenizer', async () => {
    expect(tok.source).toBe('tokenizer')
    const ps = await sharedPrefixPrompts({ groups: 3, prefixTokens: 64, suffixTokens: 16 }, 9, tok, 1)
    expect(ps.map((p) => p.group)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2])
    for (const p of ps) {
      expect(await tok.count(p.prefix)).toBe(64)
      expect(await tok.count(p.text)).toBe(80)
      expect(p.tokens).toBe(80)
      expect(p.text.startsWith(`${p.prefix} `)).toBe(true)
    }
    // a group's requests share exactly their prefix (then each suffix names its request); other groups only "Group "
    expect(common(ps[0].text, ps[3].text)).toBe(`${ps[0].prefix} Request `)
    expect(common(ps[0].text, ps[1].text)).toBe('Group ')
    expect(new Set(ps.map((p) => p.text)).size).toBe(9)
  })

  it('rejects a spec that is not whole numbers ≥ 1', () => {
    expect(() => checkSharedPrefix({ groups: 0, prefixTokens: 10 })).toThrow(
      "sharedPrefix needs whole numbers groups ≥ 1, prefixTokens ≥ 1 and suffixTokens ≥ 1, got groups 0, prefixTokens 10, suffixTokens 32: fix the case's sharedPrefix option.",
    )
  })
})

describe('a shared-prefix load case', () => {
  it('sends group prefixes without the unique tag and reports the workload', async () => {
    const opts = { sharedPrefix: { groups: 2, prefixTokens: 40, suffixTokens: 8 }, requests: 6, warmup: 1, numPredict: 2, concurrency: 2 }
    const [level] = planLevels(opts, getKnobs())!
    const seen = (await (await fetch(`${s.url}/_sim/requests`)).json()) as { path: string }[]
    const meta = await runLoadCase(s.server, opts, level, { caseName: 'sp', fullName: 'sp', file: 'f' })
    expect(meta.summary.counts).toMatchObject({ requests: 6, ok: 6, warmup: 1 })
    expect(meta.summary.workload).toMatchObject({ kind: 'shared-prefix', sharedPrefix: { groups: 2, prefixTokens: 40, suffixTokens: 8 } })
    expect(meta.summary.load?.prompts.inputTokens).toMatchObject({ min: 48, max: 48 })
    const log = ((await (await fetch(`${s.url}/_sim/requests`)).json()) as { path: string; body: { prompt: string } }[])
      .slice(seen.length)
      .filter((e) => e.path === '/v1/completions')
    const measured = log.slice(1).map((e) => e.body.prompt)
    expect(log[0].body.prompt).toMatch(/^\[request \d+-\d+\] /)
    expect(measured).toHaveLength(6)
    const byGroup = [0, 1].map((g) => measured.filter((p) => p.startsWith(`Group ${g + 1}:`)))
    expect(byGroup.map((g) => g.length)).toEqual([3, 3])
    for (const g of byGroup) expect(await tok.count(common(common(g[0], g[1]), g[2]).trimEnd())).toBeGreaterThanOrEqual(40)
  })
})
