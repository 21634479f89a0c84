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
    expect(r.headers['content-type']).toBe('text/event-stream')
    const events = sseData(r.body).map((e) => JSON.parse(e))
    expect(events).toEqual([
      { model_name: 'ensemble', model_version: '1', text_output: ' or' },
      { model_name: 'ensemble', model_version: '1', text_output: ' from' },
      { model_name: 'ensemble', model_version: '1', text_output: ' are' },
    ])
  })

  it('answers /generate with the whole text and reads parameters.max_tokens (vLLM backend)', async () => {
    const r = await json(`${sim.url}/v2/models/vllm_model/versions/2/generate`, { body: { text_input: 'Hello', parameters: { max_tokens: 2 } } })
    expect(r.value).toEqual({ model_name: 'vllm_model', model_version: '2', text_output: ' or from' })
  })

  it('serves health, model readiness, metadata and the repository index', async () => {
    expect((await raw(`${sim.url}/v2/health/ready`)).status).toBe(200)
    expect((await raw(`${sim.url}/v2/health/live`)).status).toBe(200)
    expect((await raw(`${sim.url}/v2/models/ensemble/ready`)).status).toBe(200)
    const missing = await json(`${sim.url}/v2/models/nope/ready`)
    expect([missing.status, missing.value]).toEqual([400, { error: "Request for unknown model: 'nope' is not found" }])
    const index = await json(`${sim.url}/v2/repository/index`, { body: {} })
    expect(index.value).toEqual([
      { name: 'ensemble', version: '1', state: 'READY' },
      { name: 'vllm_model', version: '1', state: 'READY' },
    ])
    const meta = await json<{ name: string; outputs: Array<{ name: string }> }>(`${sim.url}/v2/models/ensemble`)
    expect(meta.value.outputs[0].name).toBe('text_output')
  })
})
