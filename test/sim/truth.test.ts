import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSim, tokenize } from '../../sim/index.ts'
import type { SimHandle, SimTruth } from '../../sim/index.ts'
import { eventArrivals, json, raw, sseData } from './raw.ts'

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

let sim: SimHandle
beforeAll(async () => {
  sim = await startSim({ protocol: 'openai', ttftMs: 15, perPromptTokenMs: 0.5, itlMs: 4 })
})
afterAll(() => sim.close())

describe('ground truth', () => {
  it('records one emission time per output chunk, each just before the client reads it', async () => {
    const r = await raw(`${sim.url}/v1/completions`, {
      headers: { 'x-request-id': 'truth-1' },
      body: { prompt: 'one two three four', max_tokens: 30, stream: true },
    })
    const truth = sim.truth('truth-1')!
    const tokenEvents = eventArrivals(r.reads, '\n\n').filter((e) => e.event !== 'data: [DONE]')
    expect(tokenEvents).toHaveLength(30)
    expect(truth.chunkTimes).toHaveLength(30)
    expect(truth.chunkTokens.reduce((a, b) => a + b, 0)).toBe(30)
    expect(truth.outputTokens).toBe(30)
    const lag = tokenEvents.map((e, i) => e.t - truth.chunkTimes[i])
    // Same process, same clock: a chunk can only be read after it was written.
    expect(Math.min(...lag)).toBeGreaterThanOrEqual(0)
    expect(median(lag)).toBeLessThan(3)
  })

  it('never emits before the latency model says and keeps the gaps at itlMs', () => {
    const truth = sim.truth('truth-1')!
    const promptTokens = tokenize('one two three four').length
    expect(truth.promptTokens).toBe(promptTokens)
    const ttftTarget = truth.tAdmitted! + 15 + 0.5 * promptTokens
    expect(truth.chunkTargets![0]).toBeCloseTo(ttftTarget, 6)
    truth.chunkTargets!.forEach((target, i) => {
      if (i > 0) expect(target - truth.chunkTargets![i - 1]).toBeCloseTo(4, 6)
      expect(truth.chunkTimes[i]).toBeGreaterThanOrEqual(target)
    })
    const gaps = truth.chunkTimes.slice(1).map((t, i) => t - truth.chunkTimes[i])
    expect(Math.abs(median(gaps) - 4)).toBeLessThan(1)
  })

  it('serves truth over HTTP by request id, 404 for unknown ids, and names generated ids', async () => {
    const t = await json<SimTruth>(`${sim.url}/_sim/truth/truth-1`)
    expect(t.value).toEqual(JSON.parse(JSON.stringify(sim.truth('truth-1'))))
    const missing = await json<{ error: string }>(`${sim.url}/_sim/truth/never-sent`)
    expect([missing.status, missing.value.error]).toEqual([404, "no truth recorded for request id 'never-sent'"])
    const r = await raw(`${sim.url}/v1/completions`, { body: { prompt: 'x', max_tokens: 1 } })
    const id = r.headers['x-request-id'] as string
    expect(id).toMatch(/^sim-\d+$/)
    expect((await json<SimTruth>(`${sim.url}/_sim/truth/${id}`)).value.outputTokens).toBe(1)
    const stats = await json<{ requests: number; active: number; maxActive: number }>(`${sim.url}/_sim/stats`)
    expect(stats.value).toMatchObject({ requests: 2, active: 0, maxActive: 1 })
  })

  it('records chunk token counts of multi-token chunks and one chunk for non-streamed answers', async () => {
    const s = await startSim({ protocol: 'openai', ttftMs: 1, itlMs: 1, tokensPerChunk: 3 })
    try {
      const r = await raw(`${s.url}/v1/completions`, { headers: { 'x-request-id': 'multi' }, body: { prompt: 'x', max_tokens: 7, stream: true } })
      expect(
        sseData(r.body)
          .slice(0, -1)
          .map((e) => JSON.parse(e).choices[0].text.split(' ').length - 1),
      ).toEqual([3, 3, 1])
      expect(s.truth('multi')!.chunkTokens).toEqual([3, 3, 1])
      await raw(`${s.url}/v1/completions`, { headers: { 'x-request-id': 'whole' }, body: { prompt: 'x', max_tokens: 7 } })
      expect(s.truth('whole')!.chunkTokens).toEqual([7])
    } finally {
      await s.close()
    }
  })

  it('precompute mode writes the same bytes in one go, cached, with equal chunk times', async () => {
    const paced = await startSim({ protocol: 'tgi', ttftMs: 1, itlMs: 1 })
    const pre = await startSim({ protocol: 'tgi', precompute: true, ttftMs: 1000, itlMs: 1000 })
    try {
      const body = { inputs: 'x', parameters: { max_new_tokens: 20 } }
      const a = await raw(`${paced.url}/generate_stream`, { body })
      const b = await raw(`${pre.url}/generate_stream`, { headers: { 'x-request-id': 'pre-1' }, body })
      const c = await raw(`${pre.url}/generate_stream`, { body })
      expect(b.body).toBe(a.body)
      expect(c.body).toBe(b.body)
      expect(b.headers['content-length']).toBe(String(Buffer.byteLength(b.body)))
      const truth = pre.truth('pre-1')!
      expect(truth.chunkTimes).toHaveLength(20)
      expect(new Set(truth.chunkTimes).size).toBe(1)
      // Zero delay: ttftMs/itlMs 1000 would take 20 s if they applied.
      expect(truth.tEnd! - truth.tReceived).toBeLessThan(1000)
    } finally {
      await paced.close()
      await pre.close()
    }
  })
})
