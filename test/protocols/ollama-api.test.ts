// Ollama's metadata API against the simulator (Ollama protocol) and against servers that misbehave.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OllamaApi } from '../../helpers/protocols/ollama-api.ts'
import { startSim, type SimHandle } from '../../sim/index.ts'
import { body, serve } from './serve.ts'

describe('OllamaApi against the simulator', () => {
  let sim: SimHandle
  let api: OllamaApi
  beforeAll(async () => {
    sim = await startSim({ protocol: 'ollama', models: ['llama3.2:3b', 'qwen3:8b'], blockCount: 28 })
    api = new OllamaApi(sim.url, { timeoutMs: 2000 })
  })
  afterAll(async () => {
    await api.close()
    await sim.close()
  })

  it('version, tags and show (block count for num_gpu candidates)', async () => {
    expect(await api.version()).toMatch(/^\d+\.\d+\.\d+$/)
    expect((await api.tags()).map((m) => m.name)).toEqual(['llama3.2:3b', 'qwen3:8b'])
    const show = await api.show('llama3.2:3b')
    expect(show.blockCount).toBe(28)
    expect(show.modelInfo['general.architecture']).toBe('llama')
  })

  it('create a variant with parameters, list it, delete it', async () => {
    await api.create('llama3.2-3b-A-ng16', 'llama3.2:3b', { num_gpu: 16 })
    expect(await api.has('llama3.2-3b-A-ng16')).toBe(true)
    expect((await api.show('llama3.2-3b-A-ng16')).parameters).toMatch(/num_gpu\s+16/)
    await api.delete('llama3.2-3b-A-ng16')
    expect(await api.has('llama3.2-3b-A-ng16')).toBe(false)
  })

  it('pull, and ps lists a model after it generated', async () => {
    await api.pull('gemma3:4b')
    expect(await api.has('gemma3:4b')).toBe(true)
    expect(Array.isArray(await api.ps())).toBe(true)
  })

  it('an unknown model is an error that carries Ollama’s message', async () => {
    await expect(api.show('nope:1b')).rejects.toThrow(/POST http:\/\/127\.0\.0\.1:\d+\/api\/show answered HTTP 404: model 'nope:1b' not found/)
  })
})

describe('OllamaApi against misbehaving servers', () => {
  it('no answer within the deadline names TIMEOUT_TAGS', async () => {
    const srv = await serve(() => {})
    const api = new OllamaApi(srv.url, { timeoutMs: 100 })
    await expect(api.tags()).rejects.toThrow(/GET http:\/\/127\.0\.0\.1:\d+\/api\/tags failed: no answer within 100 ms \(raise TIMEOUT_TAGS\)/)
    await api.close()
    await srv.close()
  })

  it('a 200 that is not JSON says so', async () => {
    const srv = await serve(body('text/html', '<html>proxy login</html>'))
    const api = new OllamaApi(srv.url)
    await expect(api.version()).rejects.toThrow(/answered 200 with a body that is not JSON: <html>proxy login<\/html>\. Is this an Ollama server\?/)
    await api.close()
    await srv.close()
  })
})
