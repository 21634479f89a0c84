// Latency from the scheduled arrival (issue 24 item 2): a rate with a max-in-flight cap is a load mode of its own
// (`{ rate, concurrency }`), and its requests' TTFT and E2E are also measured from when they were due, so the backlog
// in the client — coordinated omission — is in the number a user of the service would have seen. SLOs and goodput
// of open loops judge those; TTFT from the send stays what the server did.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getKnobs } from '../../env/index.ts'
import { loadKind, planLevels, type LoadOptions } from '../../helpers/load/plan.ts'
import { runLoadCase } from '../../helpers/load/run-load.ts'
import { meetsSlo } from '../../helpers/metrics/load.ts'
import type { RequestRecord } from '../../helpers/types.ts'
import { simRef, useTempRunDir, type SimRef } from './sim-ref.ts'

// 50 ms to the first token, then 15 more tokens 10 ms apart: 200 ms a request
const MODEL = { ttftMs: 50, itlMs: 10 }
let s: SimRef
let dir = ''
beforeAll(async () => {
  dir = useTempRunDir()
  s = await simRef(MODEL)
})
afterAll(async () => s?.close())

describe('a rate with a max-in-flight cap', () => {
  it('rate 10/s, at most 1 in flight, 200 ms a request: TTFT from arrival p99 ≈ 2.9 s while TTFT from send stays ≈ 50 ms', async () => {
    // arrivals every 100 ms, served one at a time every 200 ms: request i waits 100·i ms, so its TTFT from arrival is
    // 100·i + 50 ms (p99 of i = 0…29 ≈ 2.92 s) and its E2E from arrival 100·i + 200 ms
    const opts = { rate: 10, concurrency: 1, arrival: 'constant' as const, requests: 30, warmup: 1, numPredict: 16, slo: { ttftMs: 500 } }
    const levels = planLevels(opts, getKnobs())!
    expect(levels).toHaveLength(1)
    expect(levels[0].shape).toMatchObject({ mode: 'open', rate: 10, maxConcurrency: 1 })
    const meta = await runLoadCase(s.server, opts, levels[0], { caseName: 'capped', fullName: 'capped', file: 'f' })
    const sum = meta.summary
    const load = sum.load!
    expect(sum.counts).toMatchObject({ requests: 30, ok: 30 })
    expect(load).toMatchObject({ mode: 'open', targetRate: 10, concurrency: 1, maxInFlight: 1 })
    const within = (x: number | null, want: number, pct: number) => expect(Math.abs(x! / want - 1) * 100, `${x} vs ${want}`).toBeLessThanOrEqual(pct)
    // the model with the service time this machine gave (wall / 30; 200 ms on an idle host, more beside a build):
    // p99 of 100·i + 50 over i = 0…29 interpolates at i = 28.71
    const service = sum.wallMs / 30
    within(sum.ttftFromArrivalMs.p99, 28.71 * (service - 100) + sum.ttftMs.p50!, 10)
    within(sum.e2eFromArrivalMs.max, 29 * (service - 100) + service, 10)
    // and the figure issue 24 names, where the simulator kept its 200 ms
    if (Math.abs(service / 200 - 1) < 0.05) within(sum.ttftFromArrivalMs.p99, 2900, 15)
    within(sum.ttftMs.p50, 50, 40)
    expect(sum.ttftMs.p99!).toBeLessThan(sum.ttftFromArrivalMs.p99! / 10)
    // the SLO (TTFT ≤ 500 ms) judges from the arrival: requests 0–4 make it (50…450 ms), the rest waited too long
    // in the client, although every one of them had its first token 50 ms after it was sent
    const recs = readFileSync(join(dir, 'requests.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RequestRecord)
      .filter((r) => r.caseName === 'capped' && r.phase === 'run')
    expect(recs).toHaveLength(30)
    // request i was due at 100·i ms: its queue is its send time less that (to the dispatch lag of the first)
    for (const [i, r] of recs.entries()) expect(Math.abs(r.tStartMs - 100 * i - r.queueMs), `request ${i}`).toBeLessThan(recs[0].tStartMs + 5)
    expect(sum.goodput!.good).toBe(recs.filter((r) => r.queueMs + r.ttftMs! <= 500).length)
    expect(sum.goodput!.good).toBeLessThan(8)
    expect(recs.filter((r) => r.ttftMs! <= 500)).toHaveLength(30)
    console.log(
      `rate 10/s cap 1: service ${service.toFixed(0)} ms, TTFT from arrival p50 ${sum.ttftFromArrivalMs.p50!.toFixed(0)} p99 ${sum.ttftFromArrivalMs.p99!.toFixed(0)} ms, from send p50 ${sum.ttftMs.p50!.toFixed(1)} p99 ${sum.ttftMs.p99!.toFixed(1)} ms, goodput ${sum.goodput!.good}/30`,
    )
  })

  it('an open loop without a cap: from arrival is from send plus dispatch lag', async () => {
    const opts = { rate: 5, arrival: 'constant' as const, requests: 6, warmup: 0, numPredict: 4 }
    const meta = await runLoadCase(s.server, opts, planLevels(opts, getKnobs())![0], { caseName: 'open', fullName: 'open', file: 'f' })
    const sum = meta.summary
    expect(sum.ttftFromArrivalMs.n).toBe(6)
    // each request's own wait (dispatch lag here) added to its TTFT
    expect(sum.ttftFromArrivalMs.max!).toBeGreaterThanOrEqual(sum.ttftMs.max!)
    expect(sum.ttftFromArrivalMs.max!).toBeLessThanOrEqual(sum.ttftMs.max! + sum.queueMs.max! + 0.001)
    expect(sum.ttftFromArrivalMs.mean!).toBeCloseTo(sum.ttftMs.mean! + sum.queueMs.mean!, 6)
  })

  it('SLOs of open loops count the wait before the send; closed loops judge from the send', () => {
    const r = { outcome: 'ok', queueMs: 400, ttftMs: 50, e2eMs: 200, tpotMs: 10 } as RequestRecord
    expect(meetsSlo(r, { ttftMs: 100 })).toBe(true)
    expect(meetsSlo(r, { ttftMs: 100 }, true)).toBe(false)
    expect(meetsSlo(r, { e2eMs: 500 }, true)).toBe(false)
    expect(meetsSlo(r, { e2eMs: 700 }, true)).toBe(true)
  })
})

describe('the load mode', () => {
  it('is chosen in one place; concurrency beside a rate or a trace is the cap', () => {
    expect(loadKind({ rate: 2, concurrency: 4 })).toBe('rate')
    expect(loadKind({ concurrency: [1, 2] })).toBe('concurrency')
    expect(loadKind({ trace: 't.jsonl', concurrency: 8 })).toBe('trace')
    expect(loadKind({})).toBeUndefined()
    const [a] = planLevels({ rate: 2, concurrency: 4, requests: 3 }, getKnobs())!
    expect(a.shape).toMatchObject({ mode: 'open', rate: 2, maxConcurrency: 4 })
    // the older spelling still works
    const [b] = planLevels({ rate: 2, maxConcurrency: 3, requests: 3 }, getKnobs())!
    expect(b.shape).toMatchObject({ mode: 'open', rate: 2, maxConcurrency: 3 })
  })

  it('contradictory options are type errors, and errors that say what to fix from JavaScript', () => {
    // @ts-expect-error a rate and a trace are two modes
    const both: LoadOptions = { rate: 2, trace: 't.jsonl' }
    // @ts-expect-error concurrency beside a rate is one cap, not a sweep
    const sweep: LoadOptions = { rate: 2, concurrency: [1, 2] }
    // @ts-expect-error two caps
    const caps: LoadOptions = { rate: 2, concurrency: 2, maxConcurrency: 3 }
    // @ts-expect-error maxConcurrency caps a rate or a trace only
    const closed: LoadOptions = { concurrency: 2, maxConcurrency: 3 }
    // @ts-expect-error a capacity search picks its own rates
    const capacity: LoadOptions = { capacity: true, rate: 3 }
    // @ts-expect-error conversations are closed-loop users
    const conv: LoadOptions = { conversation: true, rate: 1 }
    const ok: LoadOptions[] = [
      { rate: [1, 3] },
      { rate: 10, concurrency: 1 },
      { concurrency: [1, 2, 4] },
      { conversation: true, concurrency: 2 },
      { capacity: true },
    ]
    expect(ok).toHaveLength(5)
    expect(() => loadKind(both)).toThrow(
      "a case's load options trace and rate contradict each other (one mode per case): keep one of them in the case's options.",
    )
    expect(() => loadKind(sweep)).toThrow('concurrency beside rate is the most requests in flight, one number, got [1, 2]')
    expect(() => loadKind(caps)).toThrow('concurrency (2) and maxConcurrency (3) both cap this rate')
    expect(() => loadKind(closed)).toThrow('maxConcurrency caps a rate or a trace replay')
    expect(() => loadKind(capacity)).toThrow('capacity and rate contradict')
    expect(() => loadKind(conv)).toThrow('conversation and rate contradict')
  })
})
