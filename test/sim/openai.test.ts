import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSim, tokenize } from '../../sim/index.ts'
import type { SimHandle } from '../../sim/index.ts'
import { json, now, raw, sseData } from './raw.ts'

let sim: SimHandle
beforeAll(async () => {
  sim = await startSim({ protocol: 'openai', ttftMs: 1, itlMs: 1, eosAfterTokens: 3 })
})
afterAll(() => sim.close())

describe('openai (vLLM) protocol', () => {
  it('streams completions as SSE text chunks, a usage chunk and [DONE]', async () => {
    const r = await raw(`${sim.url}/v1/completions`, {
      headers: { 'x-request-id': 'oa-1' },
      body: { model: 'sim-model', prompt: 'Hello there, bench', max_tokens: 4, ignore_eos: true, stream: true, stream_options: { include_usage: true } },
    })
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toBe('text/event-stream')
    expect(r.headers['x-request-id']).toBe('oa-1')
    const events = sseData(r.body)
    expect(events.at(-1)).toBe('[DONE]')
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e))
    expect(chunks).toHaveLength(5)
    const tokens = chunks.slice(0, 4)
    expect(tokens.map((c) => c.choices[0].text).join('')).toBe(' or from are an')
    expect(tokens[0]).toMatchObject({ id: 'cmpl-oa-1', object: 'text_completion', model: 'sim-model' })
    // vLLM 0.32 puts no usage key on token chunks, even with include_usage
    expect(tokens.every((c) => !('usage' in c))).toBe(true)
    expect(tokens.map((c) => c.choices[0].finish_reason)).toEqual([null, null, null, 'length'])
    expect(chunks[4]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: tokenize('Hello there, bench').length, completion_tokens: 4, total_tokens: 4 + 7, prompt_tokens_details: { cached_tokens: 0 } },
    })
  })

  it('streams chat deltas after a role chunk and no usage unless asked', async () => {
    const r = await raw(`${sim.url}/v1/chat/completions`, {
      body: { messages: [{ role: 'user', content: 'hi' }], max_tokens: 2, ignore_eos: true, stream: true },
    })
    const events = sseData(r.body)
    expect(events).toHaveLength(4)
    const [role, a, b] = events.slice(0, 3).map((e) => JSON.parse(e))
    expect(role.object).toBe('chat.completion.chunk')
    // as vLLM 0.32 sends it: the role alone with empty content, then content-only deltas
    expect(role.choices[0].delta).toEqual({ role: 'assistant', content: '' })
    expect(a.choices[0].delta).toEqual({ content: ' or' })
    expect(b.choices[0]).toEqual({ index: 0, delta: { content: ' from' }, logprobs: null, finish_reason: 'length' })
    expect(a.usage).toBeUndefined()
  })

  it('answers stream:false with one JSON body carrying usage', async () => {
    const { status, value } = await json<{ choices: Array<{ message: { content: string } }>; usage: unknown; object: string }>(
      `${sim.url}/v1/chat/completions`,
      { body: { messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, ignore_eos: true } },
    )
    expect(status).toBe(200)
    expect(value.object).toBe('chat.completion')
    expect(value.choices[0].message).toEqual({ role: 'assistant', content: ' or from are' })
    expect(value.usage).toEqual({
      prompt_tokens: tokenize('user: hi\n').length,
      completion_tokens: 3,
      total_tokens: 3 + tokenize('user: hi\n').length,
      prompt_tokens_details: { cached_tokens: 0 },
    })
  })

  it('honours max_tokens default, EOS, ignore_eos and min_tokens', async () => {
    const count = async (body: Record<string, unknown>) => {
      const { value } = await json<{ usage: { completion_tokens: number }; choices: Array<{ finish_reason: string }> }>(`${sim.url}/v1/completions`, {
        body: { prompt: 'x', ...body },
      })
      return [value.usage.completion_tokens, value.choices[0].finish_reason]
    }
    expect(await count({ ignore_eos: true })).toEqual([16, 'length'])
    expect(await count({ max_tokens: 10 })).toEqual([3, 'stop'])
    expect(await count({ max_tokens: 10, min_tokens: 6 })).toEqual([6, 'stop'])
    expect(await count({ max_tokens: 10, ignore_eos: true })).toEqual([10, 'length'])
    expect(await count({ max_tokens: 2 })).toEqual([2, 'length'])
  })

  it('serves /v1/models, /health, /tokenize and a vLLM TTFT histogram on /metrics', async () => {
    const models = await json<{ object: string; data: Array<{ id: string; object: string }> }>(`${sim.url}/v1/models`)
    expect(models.value.object).toBe('list')
    expect(models.value.data.map((m) => [m.id, m.object])).toEqual([['sim-model', 'model']])
    const health = await raw(`${sim.url}/health`)
    expect([health.status, health.body]).toEqual([200, ''])
    const tok = await json<{ tokens: number[]; count: number }>(`${sim.url}/tokenize`, { body: { prompt: 'Hello, world' } })
    // 'Hell' 'o' ',' ' worl' 'd': whitespace + up to 4 letters, or one other character
    expect(tok.value.count).toBe(5)
    expect(tok.value.tokens).toEqual(tokenize('Hello, world'))
  })

  it('rejects bad requests with vLLM error bodies', async () => {
    const missing = await json<Record<string, unknown>>(`${sim.url}/v1/completions`, { body: { max_tokens: 3 } })
    expect(missing.status).toBe(400)
    expect(missing.value).toEqual({ object: 'error', message: "'prompt' is required", type: 'BadRequestError', param: null, code: 400 })
    const badJson = await raw(`${sim.url}/v1/completions`, { body: '{"prompt":' })
    expect(badJson.status).toBe(400)
    expect(JSON.parse(badJson.body).message).toMatch(/not valid JSON/)
    const unknown = await json<{ code: number }>(`${sim.url}/v2/nothing`)
    expect([unknown.status, unknown.value.code]).toEqual([404, 404])
    const wrongMethod = await raw(`${sim.url}/v1/completions`)
    expect(wrongMethod.status).toBe(405)
  })
})

describe('openai metrics and readiness', () => {
  it('counts finished requests in vllm:time_to_first_token_seconds', async () => {
    const s = await startSim({ protocol: 'openai', ttftMs: 1, itlMs: 0 })
    try {
      for (let i = 0; i < 3; i++) await raw(`${s.url}/v1/completions`, { body: { prompt: 'a', max_tokens: 2, stream: true } })
      const m = await raw(`${s.url}/metrics`)
      expect(m.headers['content-type']).toMatch(/^text\/plain; version=0.0.4/)
      expect(m.body).toContain('# TYPE vllm:time_to_first_token_seconds histogram')
      expect(m.body).toContain('vllm:time_to_first_token_seconds_count{engine="0",model_name="sim-model"} 3')
      expect(m.body).toContain('vllm:time_to_first_token_seconds_bucket{engine="0",model_name="sim-model",le="+Inf"} 3')
      expect(m.body).toContain('vllm:generation_tokens_total{engine="0",model_name="sim-model"} 6')
    } finally {
      await s.close()
    }
  })

  it('answers 503 until readyDelayMs has passed, then 200', async () => {
    const t0 = now()
    const s = await startSim({ protocol: 'openai', readyDelayMs: 300 })
    try {
      const first = await raw(`${s.url}/health`)
      expect(first.status).toBe(503)
      let status = 503
      for (let i = 0; i < 200 && status === 503; i++) {
        status = (await raw(`${s.url}/health`)).status
        if (status === 503) await new Promise((r) => setTimeout(r, 20))
      }
      expect(status).toBe(200)
      expect(now() - t0).toBeGreaterThanOrEqual(300)
    } finally {
      await s.close()
    }
  })
})
