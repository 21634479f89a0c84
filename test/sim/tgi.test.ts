import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSim, tokenize } from '../../sim/index.ts'
import type { SimHandle } from '../../sim/index.ts'
import { json, raw } from './raw.ts'

let sim: SimHandle
beforeAll(async () => {
  sim = await startSim({ protocol: 'tgi', ttftMs: 1, itlMs: 1, tokensPerChunk: 2, models: ['meta-llama/Llama-3.1-8B'] })
})
afterAll(() => sim.close())

describe('tgi protocol', () => {
  it('streams /generate_stream as one data: event per token, generated_text and details on the last', async () => {
    const r = await raw(`${sim.url}/generate_stream`, { body: { inputs: 'Hello world', parameters: { max_new_tokens: 3 } } })
    expect(r.headers['content-type']).toBe('text/event-stream')
    // TGI writes `data:` with no space.
    expect(r.body.startsWith('data:{"index":1,"token":{')).toBe(true)
    const events = r.body
      .split('\n\n')
      .filter(Boolean)
      .map((b) => JSON.parse(b.slice('data:'.length)))
    expect(events.map((e) => [e.token.text, e.token.special, e.generated_text])).toEqual([
      [' or', false, null],
      [' from', false, null],
      [' are', false, ' or from are'],
    ])
    expect(events[0].token.id).toBe(tokenize(' or')[0])
    expect(events[0].details).toBeNull()
    expect(events[2].details).toEqual({ finish_reason: 'length', generated_tokens: 3, seed: null, input_length: tokenize('Hello world').length })
  })

  it('answers /generate with generated_text and details', async () => {
    const { value } = await json<{ generated_text: string; details: { generated_tokens: number; tokens: unknown[] } }>(`${sim.url}/generate`, {
      body: { inputs: 'x', parameters: { max_new_tokens: 2 } },
    })
    expect(value.generated_text).toBe(' or from')
    expect(value.details.generated_tokens).toBe(2)
    expect(value.details.tokens).toHaveLength(2)
  })

  it('serves the Messages API, /health and /info', async () => {
    const r = await json<{ choices: Array<{ message: { content: string } }> }>(`${sim.url}/v1/chat/completions`, {
      body: { model: 'tgi', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 },
    })
    expect(r.value.choices[0].message.content).toBe(' or from')
    expect((await raw(`${sim.url}/health`)).status).toBe(200)
    const info = await json<{ model_id: string; router: string }>(`${sim.url}/info`)
    expect(info.value).toMatchObject({ model_id: 'meta-llama/Llama-3.1-8B', router: 'text-generation-router' })
  })

  it('rejects missing inputs with 422 in TGI error shape', async () => {
    const r = await json(`${sim.url}/generate_stream`, { body: { parameters: { max_new_tokens: 2 } } })
    expect(r.status).toBe(422)
    expect(r.value).toEqual({ error: "Input validation error: 'inputs' must be a string", error_type: 'validation' })
  })
})
