import { describe, expect, it } from 'vitest'
import { startSim } from '../../sim/index.ts'
import type { SimConfig, SimHandle } from '../../sim/index.ts'
import { ndjson, raw, sseData } from './raw.ts'

async function withSim<T>(config: Partial<SimConfig>, fn: (sim: SimHandle) => Promise<T>): Promise<T> {
  const sim = await startSim({ ttftMs: 1, itlMs: 1, ...config })
  try {
    return await fn(sim)
  } finally {
    await sim.close()
  }
}

const chat = (n: number, extra: Record<string, unknown> = {}) => ({ messages: [{ role: 'user', content: 'hi' }], max_tokens: n, stream: true, ...extra })
const parsed = (body: string) =>
  sseData(body)
    .filter((e) => e !== '[DONE]')
    .map((e) => JSON.parse(e))

describe('fault switches', () => {
  it('roleOnlyFirstChunk: the first chat chunk carries only the role (OpenAI and Ollama)', async () => {
    await withSim({ protocol: 'openai', faults: { roleOnlyFirstChunk: true } }, async (sim) => {
      const r = await raw(`${sim.url}/v1/chat/completions`, { headers: { 'x-request-id': 'role' }, body: chat(2) })
      // vLLM's role chunk: the role with empty content (vLLM 0.32 sends it so whether or not the fault is on)
      expect(parsed(r.body).map((c) => c.choices[0].delta)).toEqual([{ role: 'assistant', content: '' }, { content: ' or' }, { content: ' from' }])
      expect(sim.truth('role')!.chunkTimes).toHaveLength(2)
    })
    await withSim({ protocol: 'ollama', faults: { roleOnlyFirstChunk: true } }, async (sim) => {
      const r = await raw(`${sim.url}/api/chat`, { body: { model: 'sim-model', messages: [], options: { num_predict: 1 } } })
      expect(ndjson(r.body).map((l) => JSON.parse(l).message)).toEqual([
        { role: 'assistant', content: '' },
        { role: 'assistant', content: ' or' },
        { role: 'assistant', content: '' },
      ])
    })
  })

  it('emptyChunks: interleaves that many empty-content chunks between token chunks', async () => {
    await withSim({ protocol: 'openai', faults: { emptyChunks: 3 } }, async (sim) => {
      const r = await raw(`${sim.url}/v1/chat/completions`, { headers: { 'x-request-id': 'empty' }, body: chat(6) })
      // the first chunk is vLLM's role chunk (empty content too), then the first token's
      const contents = parsed(r.body)
        .slice(1)
        .map((c) => c.choices[0].delta.content)
      expect(contents.filter((c) => c === '')).toHaveLength(3)
      expect(contents.filter((c) => c !== '')).toHaveLength(6)
      expect(contents[0]).not.toBe('')
      expect(sim.truth('empty')!.chunkTimes).toHaveLength(6)
    })
  })

  it("keepAlive: writes ': keep-alive' SSE comments between events", async () => {
    await withSim({ protocol: 'llamacpp', faults: { keepAlive: true } }, async (sim) => {
      const r = await raw(`${sim.url}/completion`, { body: { prompt: 'x', n_predict: 4, stream: true } })
      expect(r.body.split(': keep-alive\n\n')).toHaveLength(4)
      expect(sseData(r.body)).toHaveLength(5)
    })
  })

  it('missingUsage: drops usage / eval_count / timings / details from the final message', async () => {
    await withSim({ protocol: 'openai', faults: { missingUsage: true } }, async (sim) => {
      const r = await raw(`${sim.url}/v1/completions`, { body: { prompt: 'x', max_tokens: 2, stream: true, stream_options: { include_usage: true } } })
      const events = parsed(r.body)
      // vLLM puts no usage key on token chunks: the usage chunk is the only place it would be
      expect(events).toHaveLength(2)
      expect(events.every((e) => e.usage === undefined && e.choices.length === 1)).toBe(true)
    })
    await withSim({ protocol: 'ollama', faults: { missingUsage: true } }, async (sim) => {
      const r = await raw(`${sim.url}/api/generate`, { body: { model: 'sim-model', prompt: 'x', options: { num_predict: 2 } } })
      const last = JSON.parse(ndjson(r.body).at(-1)!)
      expect(last.done).toBe(true)
      expect(last.eval_count).toBeUndefined()
      expect(last.eval_duration).toBeUndefined()
    })
    await withSim({ protocol: 'llamacpp', faults: { missingUsage: true } }, async (sim) => {
      const r = await raw(`${sim.url}/completion`, { body: { prompt: 'x', n_predict: 2, stream: true } })
      const last = JSON.parse(sseData(r.body).at(-1)!)
      expect(last.stop).toBe(true)
      expect(last.timings).toBeUndefined()
    })
    await withSim({ protocol: 'tgi', faults: { missingUsage: true } }, async (sim) => {
      const r = await raw(`${sim.url}/generate_stream`, { body: { inputs: 'x', parameters: { max_new_tokens: 2 } } })
      const last = JSON.parse(r.body.trim().split('\n\n').at(-1)!.slice(5))
      expect(last.generated_text).toBe(' or from')
      expect(last.details).toBeNull()
    })
  })

  it('reasoningTokens: first N tokens as reasoning (vLLM chat) and thinking (Ollama)', async () => {
    await withSim({ protocol: 'openai', faults: { reasoningTokens: 2 } }, async (sim) => {
      const r = await raw(`${sim.url}/v1/chat/completions`, { body: chat(4) })
      expect(parsed(r.body).map((c) => c.choices[0].delta)).toEqual([
        { role: 'assistant', content: '' },
        { reasoning: ' or' },
        { reasoning: ' from' },
        { content: ' are' },
        { content: ' an' },
      ])
      const whole = await raw(`${sim.url}/v1/chat/completions`, { body: chat(4, { stream: false }) })
      expect(JSON.parse(whole.body).choices[0].message).toEqual({ role: 'assistant', content: ' are an', reasoning: ' or from' })
    })
    await withSim({ protocol: 'ollama', faults: { reasoningTokens: 1 } }, async (sim) => {
      const r = await raw(`${sim.url}/api/generate`, { body: { model: 'sim-model', prompt: 'x', options: { num_predict: 2 } } })
      const lines = ndjson(r.body).map((l) => JSON.parse(l))
      expect(lines.slice(0, 2).map((l) => [l.thinking, l.response])).toEqual([
        [' or', ''],
        [undefined, ' from'],
      ])
    })
  })

  it('malformedLineAt / truncatedJsonAt: a garbage line and a cut JSON event after N chunks', async () => {
    await withSim({ protocol: 'openai', faults: { malformedLineAt: 2, truncatedJsonAt: 1 } }, async (sim) => {
      const r = await raw(`${sim.url}/v1/completions`, { body: { prompt: 'x', max_tokens: 3, stream: true } })
      const events = sseData(r.body)
      expect(events).toHaveLength(6)
      expect(() => JSON.parse(events[1])).toThrow()
      expect(events[1].startsWith('{"id":"cmpl-')).toBe(true)
      expect(events[3]).toBe('this is not json (simulated malformed line)')
      expect(events.at(-1)).toBe('[DONE]')
    })
    await withSim({ protocol: 'ollama', faults: { malformedLineAt: 0 } }, async (sim) => {
      const r = await raw(`${sim.url}/api/generate`, { body: { model: 'sim-model', prompt: 'x', options: { num_predict: 1 } } })
      expect(ndjson(r.body)[0]).toBe('this is not json (simulated malformed line)')
    })
  })

  it('disconnectAfter: destroys the socket after N chunks (paced and precomputed)', async () => {
    for (const precompute of [false, true]) {
      await withSim({ protocol: 'openai', precompute, faults: { disconnectAfter: 3 } }, async (sim) => {
        const r = await raw(`${sim.url}/v1/completions`, { headers: { 'x-request-id': 'dc' }, body: { prompt: 'x', max_tokens: 10, stream: true } })
        expect(r.error).toBeDefined()
        expect(sseData(r.body)).toHaveLength(3)
        const truth = sim.truth('dc')!
        expect([truth.outcome, truth.fault, truth.chunkTimes.length]).toEqual(['fault', 'disconnect', 3])
      })
    }
  })

  it('stallAfterMs: stops sending but keeps the socket open', async () => {
    await withSim({ protocol: 'openai', itlMs: 5, faults: { stallAfterMs: 30 } }, async (sim) => {
      const pending = raw(`${sim.url}/v1/completions`, { headers: { 'x-request-id': 'st' }, body: { prompt: 'x', max_tokens: 200, stream: true } })
      for (let i = 0; i < 400 && sim.truth('st')?.fault !== 'stall'; i++) await new Promise((r) => setTimeout(r, 5))
      const truth = sim.truth('st')!
      expect([truth.outcome, truth.fault]).toEqual(['fault', 'stall'])
      const state = await Promise.race([pending.then(() => 'ended'), new Promise((r) => setImmediate(() => r('open')))])
      expect(state).toBe('open')
      expect(sim.stats().active).toBe(1)
      await sim.close()
      const r = await pending
      expect(r.error).toBeDefined()
      expect(sseData(r.body).length).toBe(truth.chunkTimes.length)
      expect(truth.chunkTimes.length).toBeLessThan(200)
    })
  })

  it('status / statusBody: answers generate calls with that status and body', async () => {
    await withSim({ protocol: 'tgi', faults: { status: 429, statusBody: 'Model is overloaded' } }, async (sim) => {
      const r = await raw(`${sim.url}/generate_stream`, { headers: { 'x-request-id': 'st429' }, body: { inputs: 'x' } })
      expect([r.status, r.body, r.headers['content-type']]).toEqual([429, 'Model is overloaded', 'text/plain; charset=utf-8'])
      expect(sim.truth('st429')).toMatchObject({ outcome: 'fault', fault: 'status', chunkTimes: [] })
      expect((await raw(`${sim.url}/health`)).status).toBe(200)
    })
    await withSim({ protocol: 'openai', faults: { status: 500 } }, async (sim) => {
      const r = await raw(`${sim.url}/v1/completions`, { body: { prompt: 'x' } })
      expect(r.status).toBe(500)
      expect(JSON.parse(r.body)).toMatchObject({ object: 'error', code: 500 })
    })
  })

  it('wrongContentType: streams with text/plain', async () => {
    await withSim({ protocol: 'ollama', faults: { wrongContentType: true } }, async (sim) => {
      const r = await raw(`${sim.url}/api/generate`, { body: { model: 'sim-model', prompt: 'x', options: { num_predict: 2 } } })
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8')
      expect(ndjson(r.body)).toHaveLength(3)
    })
  })

  it('serverCountOffBy: reported counts differ from the tokens sent, truth keeps the real count', async () => {
    await withSim({ protocol: 'openai', faults: { serverCountOffBy: 2 } }, async (sim) => {
      const r = await raw(`${sim.url}/v1/completions`, {
        headers: { 'x-request-id': 'off' },
        body: { prompt: 'x', max_tokens: 3, stream: true, stream_options: { include_usage: true } },
      })
      const events = parsed(r.body)
      expect(events.at(-1).usage.completion_tokens).toBe(5)
      expect(events.filter((e) => e.choices.length > 0)).toHaveLength(3)
      expect(sim.truth('off')!.outputTokens).toBe(3)
    })
    await withSim({ protocol: 'ollama', faults: { serverCountOffBy: -1 } }, async (sim) => {
      const r = await raw(`${sim.url}/api/generate`, { body: { model: 'sim-model', prompt: 'x', stream: false, options: { num_predict: 3 } } })
      expect(JSON.parse(r.body).eval_count).toBe(2)
    })
  })
})
