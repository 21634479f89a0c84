import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSim, tokenize } from '../../sim/index.ts'
import type { SimHandle } from '../../sim/index.ts'
import { json, raw, sseData } from './raw.ts'

let sim: SimHandle
beforeAll(async () => {
  sim = await startSim({ protocol: 'llamacpp', ttftMs: 1, itlMs: 1, tokensPerChunk: 2 })
})
afterAll(() => sim.close())

describe('llamacpp (llama-server) protocol', () => {
  it('streams /completion with content, explicit token ids per chunk and a final event with timings', async () => {
    const r = await raw(`${sim.url}/completion`, { body: { prompt: 'Hello world', n_predict: 5, stream: true } })
    expect(r.headers['content-type']).toBe('text/event-stream')
    const events = sseData(r.body).map((e) => JSON.parse(e))
    expect(events).toHaveLength(4)
    // 5 tokens in chunks of 2: 2 + 2 + 1, each chunk lists its token ids.
    expect(events.slice(0, 3).map((e) => [e.content, e.tokens.length, e.stop])).toEqual([
      [' or from', 2, false],
      [' are an', 2, false],
      [' by', 1, false],
    ])
    expect(events[0].tokens).toEqual(tokenize(' or from'))
    const last = events[3]
    expect(last).toMatchObject({ content: '', stop: true, stop_type: 'limit', tokens_predicted: 5, tokens_evaluated: tokenize('Hello world').length })
    expect(Object.keys(last.timings).sort()).toEqual(
      [
        'cache_n',
        'predicted_ms',
        'predicted_n',
        'predicted_per_second',
        'predicted_per_token_ms',
        'prompt_ms',
        'prompt_n',
        'prompt_per_second',
        'prompt_per_token_ms',
      ].sort(),
    )
    expect(last.timings.predicted_n).toBe(5)
    expect(last.timings.prompt_n).toBe(tokenize('Hello world').length)
    expect(last.timings.predicted_ms).toBeGreaterThan(0)
    expect(last.timings.predicted_per_second).toBeCloseTo((5 * 1000) / last.timings.predicted_ms, 6)
  })

  it('answers /completion stream:false with the whole content, tokens and timings', async () => {
    const { value } = await json<{ content: string; tokens: number[]; timings: { predicted_n: number }; stop: boolean }>(`${sim.url}/completion`, {
      body: { prompt: 'x', n_predict: 3 },
    })
    expect(value.content).toBe(' or from are')
    expect(value.tokens).toEqual(tokenize(' or from are'))
    expect(value.timings.predicted_n).toBe(3)
  })

  it('adds llama-server timings to the last chunk of the OpenAI chat stream', async () => {
    const r = await raw(`${sim.url}/v1/chat/completions`, { body: { messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, stream: true } })
    const events = sseData(r.body)
    expect(events.at(-1)).toBe('[DONE]')
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e))
    expect(chunks.map((c) => c.choices[0].delta.content)).toEqual([' or from', ' are'])
    expect(chunks[0].timings).toBeUndefined()
    expect(chunks[1].choices[0].finish_reason).toBe('length')
    expect(chunks[1].timings.predicted_n).toBe(3)
  })

  it('serves /health, /v1/models, /props and /tokenize', async () => {
    expect((await json(`${sim.url}/health`)).value).toEqual({ status: 'ok' })
    expect((await json<{ data: Array<{ id: string }> }>(`${sim.url}/v1/models`)).value.data[0].id).toBe('sim-model')
    expect((await json<{ total_slots: number }>(`${sim.url}/props`)).value.total_slots).toBe(64)
    expect((await json(`${sim.url}/tokenize`, { body: { content: 'Hello world' } })).value).toEqual({ tokens: tokenize('Hello world') })
  })

  it("answers 503 'Loading model' in llama-server's error shape while loading", async () => {
    const s = await startSim({ protocol: 'llamacpp', readyDelayMs: 60_000 })
    try {
      const r = await json(`${s.url}/health`)
      expect(r.status).toBe(503)
      expect(r.value).toEqual({ error: { code: 503, message: 'Loading model', type: 'unavailable_error' } })
    } finally {
      await s.close()
    }
  })
})
