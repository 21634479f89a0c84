import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSim } from '../../sim/index.ts'
import type { SimHandle } from '../../sim/index.ts'
import { json, raw, sseData } from './raw.ts'

let sim: SimHandle
beforeAll(async () => {
  sim = await startSim({ protocol: 'triton', ttftMs: 1, itlMs: 1, models: ['ensemble', 'vllm_model'] })
})
afterAll(() => sim.close())

describe('triton protocol (generate extension)', () => {
  it('streams /v2/models/<m>/generate_stream as SSE text_output events', async () => {
    const r = await raw(`${sim.url}/v2/models/ensemble/generate_stream`, { body: { text_input: 'Hello', max_tokens: 3, stream: true } })
    expect(r.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    const events = sseData(r.body).map((e) => JSON.parse(e))
    expect(events).toEqual([
      { model_name: 'ensemble', model_version: '1', text_output: ' or' },
      { model_name: 'ensemble', model_version: '1', text_output: ' from' },
      { model_name: 'ensemble', model_version: '1', text_output: ' are' },
    ])
  })

  it('answers /generate with the whole text and reads parameters.max_tokens (vLLM backend)', async () => {
    const r = await json(`${sim.url}/v2/models/vllm_model/versions/1/generate`, { body: { text_input: 'Hello', parameters: { max_tokens: 2 } } })
    expect(r.value).toEqual({ model_name: 'vllm_model', model_version: '1', text_output: ' or from' })
  })

  // what tritonserver 2.51 answers (a decoupled Python-backend model that streams only when asked, as the
  // TensorRT-LLM and vLLM backends do)
  it('without stream: true, generate_stream carries one event with the whole text; /generate refuses a streaming request', async () => {
    const once = await raw(`${sim.url}/v2/models/ensemble/generate_stream`, { body: { text_input: 'Hello', max_tokens: 3 } })
    expect([once.headers['content-type'], sseData(once.body).map((e) => JSON.parse(e))]).toEqual([
      'text/event-stream; charset=utf-8',
      [{ model_name: 'ensemble', model_version: '1', text_output: ' or from are' }],
    ])
    const refused = await json(`${sim.url}/v2/models/ensemble/generate`, { body: { text_input: 'Hello', max_tokens: 3, stream: true } })
    expect([refused.status, refused.value]).toEqual([
      200,
      { error: 'generate expects model to produce exactly 1 response, use generate stream for model that generates various number of responses' },
    ])
  })

  it("answers Triton's errors: unknown model or version 404, unparsable tensors 500, a parameter of the wrong type 400", async () => {
    const errorOf = async (path: string, body: unknown) => {
      const r = await json<{ error: string }>(`${sim.url}${path}`, { body })
      return [r.status, r.value.error]
    }
    expect(await errorOf('/v2/models/nope/generate_stream', { text_input: 'x' })).toEqual([404, "Request for unknown model: 'nope' is not found"])
    expect(await errorOf('/v2/models/ensemble/versions/2/generate_stream', { text_input: 'x' })).toEqual([
      404,
      "Request for unknown model: 'ensemble' version 2 is not found",
    ])
    expect(await errorOf('/v2/models/ensemble/generate_stream', { text_input: 5 })).toEqual([
      500,
      'Unable to parse JSON bytes array: attempt to access JSON non-string as string',
    ])
    expect(await errorOf('/v2/models/ensemble/generate_stream', { text_input: 'x', max_tokens: 1.5 })).toEqual([
      500,
      "Unable to parse 'data': attempt to access JSON non-signed-integer as signed-integer",
    ])
    expect(await errorOf('/v2/models/ensemble/generate_stream', { text_input: 'x', temperature: null })).toEqual([
      400,
      "parameter 'temperature' has invalid type. It should be either 'int', 'bool', or 'string'.",
    ])
    expect(await errorOf('/v2/models/ensemble/generate_stream', { text_input: 'x', parameters: { stop: ['a'] } })).toEqual([
      400,
      "Converting keyword: 'parameters': parameter 'stop' has invalid type. It should be either 'int', 'bool', or 'string'.",
    ])
  })

  it('serves health, model readiness, metadata and the repository index', async () => {
    expect((await raw(`${sim.url}/v2/health/ready`)).status).toBe(200)
    expect((await raw(`${sim.url}/v2/health/live`)).status).toBe(200)
    expect((await raw(`${sim.url}/v2/models/ensemble/ready`)).status).toBe(200)
    const missing = await raw(`${sim.url}/v2/models/nope/ready`)
    expect([missing.status, missing.headers['content-type'], missing.body]).toEqual([400, 'text/plain', '{"error":"Model version not ready"}'])
    const index = await json(`${sim.url}/v2/repository/index`, { body: {} })
    expect(index.value).toEqual([
      { name: 'ensemble', version: '1', state: 'READY' },
      { name: 'vllm_model', version: '1', state: 'READY' },
    ])
    const meta = await json<{ name: string; outputs: Array<{ name: string }> }>(`${sim.url}/v2/models/ensemble`)
    expect(meta.value.outputs[0].name).toBe('text_output')
  })
})
