import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSim, tokenize } from '../../sim/index.ts'
import type { SimHandle } from '../../sim/index.ts'
import { json, ndjson, raw } from './raw.ts'

let sim: SimHandle
beforeAll(async () => {
  sim = await startSim({ protocol: 'ollama', ttftMs: 1, itlMs: 1, models: ['llama3:8b', 'gemma3:4b'], blockCount: 26 })
})
afterAll(() => sim.close())

describe('ollama protocol', () => {
  it('streams /api/generate as NDJSON with a final done line carrying counts and ns durations', async () => {
    const r = await raw(`${sim.url}/api/generate`, {
      headers: { 'x-request-id': 'ol-1' },
      body: { model: 'llama3:8b', prompt: 'why is the sky blue', options: { num_predict: 3, num_gpu: 12, num_ctx: 2048 } },
    })
    expect(r.headers['content-type']).toBe('application/x-ndjson')
    const lines = ndjson(r.body).map((l) => JSON.parse(l))
    expect(lines).toHaveLength(4)
    expect(lines.slice(0, 3).map((l) => [l.model, l.response, l.done])).toEqual([
      ['llama3:8b', ' or', false],
      ['llama3:8b', ' from', false],
      ['llama3:8b', ' are', false],
    ])
    const last = lines[3]
    expect(last).toMatchObject({
      model: 'llama3:8b',
      response: '',
      done: true,
      done_reason: 'length',
      eval_count: 3,
      prompt_eval_count: tokenize('why is the sky blue').length,
    })
    for (const k of ['total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration']) expect(Number.isInteger(last[k])).toBe(true)
    // ~1 ms TTFT and 2 gaps of ~1 ms: durations are in nanoseconds.
    expect(last.prompt_eval_duration).toBeGreaterThan(500_000)
    expect(last.eval_duration).toBeGreaterThan(1_000_000)
    expect(last.total_duration).toBeGreaterThanOrEqual(last.prompt_eval_duration + last.eval_duration)
    expect(new Date(last.created_at).toString()).not.toBe('Invalid Date')
  })

  it('records the received options object (num_gpu/num_ctx nesting) in truth and /_sim/requests', async () => {
    const truth = await json<{ options: Record<string, unknown>; outputTokens: number }>(`${sim.url}/_sim/truth/ol-1`)
    expect(truth.value.options).toEqual({ num_predict: 3, num_gpu: 12, num_ctx: 2048 })
    const log = await json<Array<{ requestId: string; path: string; body: { options: unknown } }>>(`${sim.url}/_sim/requests`)
    const entry = log.value.find((e) => e.requestId === 'ol-1')
    expect(entry?.path).toBe('/api/generate')
    expect(entry?.body.options).toEqual({ num_gpu: 12, num_ctx: 2048, num_predict: 3 })
  })

  it('streams /api/chat message deltas and answers stream:false with one object', async () => {
    const r = await raw(`${sim.url}/api/chat`, { body: { model: 'llama3:8b', messages: [{ role: 'user', content: 'hi' }], options: { num_predict: 2 } } })
    const lines = ndjson(r.body).map((l) => JSON.parse(l))
    expect(lines.map((l) => l.message)).toEqual([
      { role: 'assistant', content: ' or' },
      { role: 'assistant', content: ' from' },
      { role: 'assistant', content: '' },
    ])
    expect(lines[2]).toMatchObject({ done: true, eval_count: 2 })
    const one = await json<Record<string, unknown>>(`${sim.url}/api/generate`, {
      body: { model: 'llama3:8b', prompt: 'x', stream: false, options: { num_predict: 2 } },
    })
    expect(one.value).toMatchObject({ response: ' or from', done: true, eval_count: 2 })
    expect(one.headers['content-type']).toBe('application/json')
  })

  it('generates 128 tokens when num_predict is absent or -1', async () => {
    const one = await json<{ eval_count: number }>(`${sim.url}/api/generate`, {
      body: { model: 'llama3:8b', prompt: 'x', stream: false, options: { num_predict: -1 } },
    })
    expect(one.value.eval_count).toBe(128)
  })

  it('answers 404 for a model it does not have, like Ollama', async () => {
    const r = await json<{ error: string }>(`${sim.url}/api/generate`, { body: { model: 'nope', prompt: 'x' } })
    expect(r.status).toBe(404)
    expect(r.value).toEqual({ error: "model 'nope' not found" })
  })

  it('serves /, version, tags, show (block_count), ps', async () => {
    expect((await raw(`${sim.url}/`)).body).toBe('Ollama is running')
    expect((await json<{ version: string }>(`${sim.url}/api/version`)).value.version).toMatch(/^\d+\.\d+\.\d+$/)
    const tags = await json<{ models: Array<{ name: string; details: { format: string } }> }>(`${sim.url}/api/tags`)
    expect(tags.value.models.map((m) => m.name)).toEqual(['llama3:8b', 'gemma3:4b'])
    expect(tags.value.models[0].details.format).toBe('gguf')
    const show = await json<{ model_info: Record<string, unknown>; details: unknown; parameters: string }>(`${sim.url}/api/show`, {
      body: { model: 'llama3:8b' },
    })
    expect(show.value.model_info['llama.block_count']).toBe(26)
    expect(show.value.model_info['general.architecture']).toBe('llama')
    const ps = await json<{ models: Array<{ name: string }> }>(`${sim.url}/api/ps`)
    expect(ps.value.models.map((m) => m.name)).toEqual(['llama3:8b'])
  })

  it('creates a model from another with parameters (streamed status lines), lists, shows and deletes it', async () => {
    const created = await raw(`${sim.url}/api/create`, { body: { model: 'llama3-opt', from: 'llama3:8b', parameters: { num_gpu: 20, num_ctx: 4096 } } })
    const statuses = ndjson(created.body).map((l) => JSON.parse(l).status)
    expect(statuses.at(-1)).toBe('success')
    expect(statuses.length).toBeGreaterThan(1)
    const tags = await json<{ models: Array<{ name: string }> }>(`${sim.url}/api/tags`)
    // like Ollama: listed with its tag, newest first
    expect(tags.value.models.map((m) => m.name)[0]).toBe('llama3-opt:latest')
    const show = await json<{ parameters: string; details: { parent_model: string } }>(`${sim.url}/api/show`, { body: { name: 'llama3-opt' } })
    // like Ollama: the given parameters are merged over the base model's (its stop stays)
    expect(show.value.parameters.split('\n').sort()).toEqual([
      expect.stringMatching(/^num_ctx\s+4096$/),
      expect.stringMatching(/^num_gpu\s+20$/),
      expect.stringMatching(/^stop\s+"<\|eot_id\|>"$/),
    ])
    expect(show.value.details.parent_model).toBe('llama3:8b')
    const gen = await json<{ eval_count: number }>(`${sim.url}/api/generate`, {
      body: { model: 'llama3-opt', prompt: 'x', stream: false, options: { num_predict: 1 } },
    })
    expect(gen.value.eval_count).toBe(1)
    const del = await raw(`${sim.url}/api/delete`, { method: 'DELETE', body: { model: 'llama3-opt' } })
    expect(del.status).toBe(200)
    const again = await raw(`${sim.url}/api/delete`, { method: 'DELETE', body: { model: 'llama3-opt' } })
    expect(again.status).toBe(404)
    const badFrom = await json<{ error: string }>(`${sim.url}/api/create`, { body: { model: 'x', from: 'missing:1b' } })
    // like Ollama: an unknown `from` is pulled first, and that fails
    expect([badFrom.status, badFrom.value.error]).toEqual([500, 'pull model manifest: file does not exist'])
  })

  it('pulls a model (stream:false → one success object)', async () => {
    const r = await json<{ status: string }>(`${sim.url}/api/pull`, { body: { model: 'qwen3:0.6b', stream: false } })
    expect(r.value).toEqual({ status: 'success' })
    const tags = await json<{ models: Array<{ name: string }> }>(`${sim.url}/api/tags`)
    expect(tags.value.models.map((m) => m.name)).toContain('qwen3:0.6b')
  })
})
