// Fresh prompts per level (issue 24 item 1): every level of a synthetic sweep, and every case, sends prompts the
// server has not seen in this run, so a prefix cache cannot answer a level with the previous level's prompts; a case
// whose server still reports a cache-hit ratio above the bound is flagged in its verdict.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getKnobs } from '../../env/index.ts'
import { planLevels } from '../../helpers/load/plan.ts'
import { runLoadCase } from '../../helpers/load/run-load.ts'
import { PrefixCacheAcc, PREFIX_CACHE_HIT_LIMIT, prefixCacheWarning } from '../../helpers/load/workload-stats.ts'
import { promptSeed } from '../../helpers/load/workload.ts'
import type { RequestRecord } from '../../helpers/types.ts'
import { simRef, useTempRunDir, type SimRef } from './sim-ref.ts'

let s: SimRef
beforeAll(async () => {
  useTempRunDir()
  s = await simRef({ ttftMs: 2, itlMs: 1 })
})
afterAll(async () => s?.close())

async function promptsSent(run: () => Promise<unknown>): Promise<string[]> {
  const before = ((await (await fetch(`${s.url}/_sim/requests`)).json()) as unknown[]).length
  await run()
  const log = (await (await fetch(`${s.url}/_sim/requests`)).json()) as { path: string; body: { prompt: string } }[]
  return log
    .slice(before)
    .filter((e) => e.path === '/v1/completions')
    .map((e) => e.body.prompt)
}

/** Words two prompts share from their start. */
function sharedWords(a: string, b: string): number {
  const x = a.split(' ')
  const y = b.split(' ')
  let i = 0
  while (i < x.length && x[i] === y[i]) i++
  return i
}

describe('synthetic prompts are fresh per case and level', () => {
  it('a concurrency sweep and a second case send no prompt twice, and no two share a leading word run', async () => {
    const opts = { concurrency: [1, 2], requests: 4, warmup: 0, numPredict: 2, input: { mean: 24 } }
    const levels = planLevels(opts, getKnobs())!
    expect(levels).toHaveLength(2)
    const sent: string[][] = []
    for (const level of levels)
      sent.push(
        await promptsSent(() => runLoadCase(s.server, opts, level, { caseName: `decode${level.suffix}`, fullName: `decode${level.suffix}`, file: 'f' })),
      )
    // another case of the same file with the same options: its own prompts too
    sent.push(await promptsSent(() => runLoadCase(s.server, opts, levels[0], { caseName: 'poisson', fullName: 'poisson', file: 'f' })))
    const all = sent.flat()
    expect(sent.map((x) => x.length)).toEqual([4, 4, 4])
    expect(new Set(all).size).toBe(all.length)
    // before: level 2 sent level 1's prompts word for word; a prefix cache then answered all but the last token
    let most = 0
    for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) most = Math.max(most, sharedWords(all[i], all[j]))
    expect(most).toBeLessThanOrEqual(2)
  })

  it('the same case and level draw the same prompts again (a rerun is comparable)', () => {
    const a = { file: 'f', caseName: 'decode [c=2]' }
    expect(promptSeed(a, 1)).toBe(promptSeed({ ...a }, 1))
    expect(promptSeed(a, 1)).not.toBe(promptSeed({ ...a, caseName: 'decode [c=1]' }, 1))
    expect(promptSeed(a, 1)).not.toBe(promptSeed(a, 2))
  })
})

describe('the prefix-cache flag', () => {
  const rec = (prompt: number, cached: number): RequestRecord =>
    ({ phase: 'run', outcome: 'ok', promptTokensServer: prompt, server: { cachedPromptTokens: cached } }) as RequestRecord

  it('flags a case whose server answered more than 10% of prompt tokens from its cache', () => {
    const acc = new PrefixCacheAcc()
    for (let i = 0; i < 4; i++) acc.add(rec(65, 64))
    const pc = acc.result()!
    expect(pc.hitRatio).toBeCloseTo(64 / 65, 6)
    expect(prefixCacheWarning(pc)).toMatch(/^prefix cache: the server reported 98\.5% of prompt tokens cached \(limit 10%\)/)
  })

  it('leaves a fresh case alone (a shared start token is not a cache answer)', () => {
    const acc = new PrefixCacheAcc()
    for (let i = 0; i < 4; i++) acc.add(rec(65, 1))
    expect(acc.result()!.hitRatio).toBeLessThan(PREFIX_CACHE_HIT_LIMIT)
    expect(prefixCacheWarning(acc.result())).toBeUndefined()
    expect(prefixCacheWarning(undefined)).toBeUndefined()
  })
})
