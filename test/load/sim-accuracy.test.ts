// Load cases against the simulator's known latency model: what the harness reports must be what the model says.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runLoadCase } from '../../helpers/load/run-load.ts'
import { planLevels } from '../../helpers/load/plan.ts'
import { getKnobs } from '../../env/index.ts'
import { tokenize } from '../../sim/index.ts'
import { simRef, useTempRunDir, type SimRef } from './sim-ref.ts'

// The model counts from admission, the client from its send: on a loaded 2-core machine HTTP and event-loop
// overhead adds a few ms per request, so latencies are long enough to keep that well under the 2% budget.
const MODEL = { ttftMs: 300, perPromptTokenMs: 1, itlMs: 60, itlJitterMs: 0, tokensPerChunk: 1, concurrencySlowdown: 0 }
/** Model end-to-end latency of one request (ms). */
const e2eOf = (promptTokens: number, outTokens: number) => MODEL.ttftMs + MODEL.perPromptTokenMs * promptTokens + (outTokens - 1) * MODEL.itlMs
const within = (measured: number, expected: number, pct: number) => expect(Math.abs(measured / expected - 1) * 100).toBeLessThan(pct)

let runDir = ''
let s: SimRef
beforeAll(async () => {
  runDir = useTempRunDir()
  s = await simRef(MODEL)
})
afterAll(() => s?.close())

function ident(name: string) {
  return { caseName: name, fullName: name, file: 'sim-accuracy' }
}
function level(opts: Parameters<typeof planLevels>[0]) {
  const levels = planLevels(opts, getKnobs())
  if (!levels) throw new Error('expected a load case')
  return levels[0]
}

describe('closed loop on the simulator', () => {
  it('request, output and total token throughput match c / E2E of the model within 2%', async () => {
    // 24 output tokens: E2E ≈ 1.7 s, so the few ms of HTTP and scheduling per request stay well inside 2%
    const opts = { concurrency: 4, requests: 12, warmup: 4, input: { mean: 40, std: 0 }, numPredict: 24 }
    const meta = await runLoadCase(s.server, opts, level(opts), ident('c4'))
    const load = meta.summary.load!
    expect(load.prompts).toMatchObject({ source: 'synthetic', lengthSource: 'tokenizer', outputForced: true, forcedBy: 'ignore_eos+min_tokens' })
    expect(load.prompts.inputTokens).toMatchObject({ min: 40, max: 40 })
    expect(meta.summary.counts).toMatchObject({ requests: 12, ok: 12, failed: 0 })
    expect(load.maxInFlight).toBe(4)
    const e2e = e2eOf(40, 24)
    const st = load.steadyState!
    within(st.requestThroughput, (4 * 1000) / e2e, 2)
    within(st.outputTokenThroughput, (4 * 24 * 1000) / e2e, 2)
    within(st.totalTokenThroughput, (4 * 64 * 1000) / e2e, 2)
    within(meta.summary.ttftMs.p50!, MODEL.ttftMs + MODEL.perPromptTokenMs * 40, 2)
    within(meta.summary.e2eMs.p50!, e2e, 2)
    console.log(
      `sim closed c=4: req/s ${st.requestThroughput.toFixed(3)} vs model ${(4000 / e2e).toFixed(3)}; out tok/s ${st.outputTokenThroughput.toFixed(2)} vs ${(96000 / e2e).toFixed(2)}`,
    )
  })

  it('goodput counts exactly the requests that meet the TTFT objective (ShareGPT prompts of two lengths)', async () => {
    // two short and two long prompts, alternating; each request gets its own conversation (no reuse, no tag)
    const convs = [
      ['Hello there, how are you?', 'one two three four five six'],
      [Array.from({ length: 60 }, (_, i) => `word${i} and more`).join(' '), 'seven eight nine ten'],
      ['Hello there, who are you?', 'one two three four five six'],
      [Array.from({ length: 60 }, (_, i) => `term${i} and more`).join(' '), 'seven eight nine ten'],
    ]
    const file = join(runDir, 'sharegpt.json')
    writeFileSync(
      file,
      JSON.stringify([
        ...convs.map(([q, a], i) => ({
          id: String(i),
          conversations: [
            { from: 'human', value: q },
            { from: 'gpt', value: a },
          ],
        })),
        { id: 'skipped', conversations: [{ from: 'human', value: 'no reply' }] },
      ]),
    )
    const lengths = convs.map(([q, a]) => [tokenize(q).length, tokenize(a).length] as const)
    const slo = { ttftMs: (e2eOf(lengths[0][0], 1) + e2eOf(lengths[1][0], 1)) / 2 }
    const opts = { concurrency: 1, trials: 1, requests: 4, warmup: 1, sharegpt: file, slo }
    const meta = await runLoadCase(s.server, opts, level(opts), ident('goodput'))
    const total = lengths.reduce((t, [p, o]) => t + e2eOf(p, o), 0)
    const g = meta.summary.goodput!
    expect(g).toMatchObject({ good: 2, total: 4, fraction: 0.5 })
    within(g.requestsPerSec, 2000 / total, 2)
    within(meta.summary.load!.steadyState!.requestThroughput, 4000 / total, 2)
    expect(meta.summary.load!.prompts.inputTokens).toMatchObject({ min: lengths[0][0], max: lengths[3][0] })
    expect(meta.summary.warnings.join('\n')).not.toMatch(/reused/)
    const cycle = total / 2
    console.log(`sim goodput: ${g.requestsPerSec.toFixed(3)}/s vs model ${(1000 / cycle).toFixed(3)}/s`)
  })
})

describe('open loop on the simulator', () => {
  it('constant arrivals reach the target rate within 2%, and throughput follows it', async () => {
    const opts = { rate: 20, arrival: 'constant' as const, requests: 40, warmup: 0, numPredict: 2 }
    const meta = await runLoadCase(s.server, opts, level(opts), ident('rate20'))
    const load = meta.summary.load!
    within(load.achievedRate!, 20, 2)
    expect(load.rateMissed).toBe(false)
    expect(load.dispatchLagMs.p50!).toBeLessThan(5)
    console.log(`sim constant 20/s: achieved ${load.achievedRate!.toFixed(3)}/s, dispatch lag p99 ${load.dispatchLagMs.p99!.toFixed(2)} ms`)
  })

  it('Poisson arrivals are released on their seeded schedule (achieved vs scheduled within 2%)', async () => {
    const opts = { rate: 25, requests: 40, warmup: 0, numPredict: 2, seed: 7 }
    const meta = await runLoadCase(s.server, opts, level(opts), ident('poisson'))
    const load = meta.summary.load!
    within(load.achievedRate!, load.scheduledRate!, 2)
    expect(load.arrival).toBe('poisson')
    expect(meta.summary.counts.requests).toBe(40)
  })

  it('a concurrency cap holds requests in the client and reports that wait as queue time', async () => {
    const opts = { rate: 50, arrival: 'constant' as const, maxConcurrency: 2, requests: 6, warmup: 0, numPredict: 4 }
    const meta = await runLoadCase(s.server, opts, level(opts), ident('capped'))
    expect(meta.summary.load!.maxInFlight).toBe(2)
    expect((await s.stats()).active).toBe(0)
    // service time ~ 300 + 3·60 ms per request at 2 in flight vs 50/s arrivals: later requests wait hundreds of ms in the client
    expect(meta.summary.queueMs.max!).toBeGreaterThan(500)
    expect(meta.summary.ttftMs.max!).toBeLessThan(MODEL.ttftMs * 1.5)
  })
})
