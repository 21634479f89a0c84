// Every adversarial shape over a real socket: each ends in its own exact outcome, never a throw, and
// what was measured before the failure is kept.
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createClient, type ProtocolName } from '../../helpers/protocols/index.ts'
import type { GenerateRequest, StreamObservation } from '../../helpers/types.ts'
import { body, serve, type Script, type TestServer } from './serve.ts'

const SSE = 'text/event-stream'
const NDJSON = 'application/x-ndjson'

const cmpl = (text: string, extra = '') =>
  `data: {"id":"c1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":${JSON.stringify(text)},"logprobs":null,"finish_reason":null}]${extra}}\n\n`
const chat = (delta: Record<string, unknown>) =>
  `data: ${JSON.stringify({ id: 'c2', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] })}\n\n`
const usage = (completion: number, prompt = 3) =>
  `data: {"id":"c1","object":"text_completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":${prompt},"total_tokens":${prompt + completion},"completion_tokens":${completion}}}\n\n`
const DONE = 'data: [DONE]\n\n'
const ollamaTok = (t: string) => `${JSON.stringify({ model: 'm', created_at: '2025-01-01T00:00:00Z', response: t, done: false })}\n`
const ollamaFinal = (stats: Record<string, unknown>) =>
  `${JSON.stringify({ model: 'm', created_at: '2025-01-01T00:00:00Z', response: '', done: true, done_reason: 'length', ...stats })}\n`

const REQ: GenerateRequest = {
  prompt: 'hello',
  maxTokens: 8,
  temperature: 0,
  ignoreEos: true,
  model: 'm',
  timeoutMs: 5000,
  requestId: 'adv-1',
}

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function run(protocol: ProtocolName, script: Script, req: Partial<GenerateRequest> = {}): Promise<StreamObservation> {
  server = await serve(script)
  const client = createClient(protocol, server.url)
  try {
    return await client.generate({ ...REQ, ...req })
  } finally {
    await client.close()
  }
}

/** Write the parts, then leave the response open (no end, no close). */
const silentAfter =
  (ct: string, ...parts: string[]): Script =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': ct })
    for (const p of parts) res.write(p)
  }

/** Write the parts, then destroy the socket mid-body. */
const cutAfter =
  (ct: string, ...parts: string[]): Script =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': ct })
    for (const p of parts) res.write(p)
    // Let the writes reach the client first, so the cut is mid-stream rather than before the head.
    res.once('drain', () => res.socket?.destroy())
    setImmediate(() => res.socket?.destroy())
  }

describe('stream shapes that are not failures', () => {
  it('keep-alive comments and llama-server pings are ignored', async () => {
    const obs = await run('openai-completions', body(SSE, `: keep-alive\n\n${cmpl('a')}:\n\n: ping\n\n${cmpl('b')}${usage(2)}: keep-alive\n\n${DONE}`))
    expect(obs.outcome).toBe('ok')
    expect(obs.chunkTokens).toEqual([1, 1])
    expect(obs.server.outputTokens).toBe(2)
  })

  it('empty-content and role-only chunks carry no output and are not the first token', async () => {
    const parts = [
      chat({ role: 'assistant', content: '' }),
      chat({ content: '' }),
      chat({ content: 'x' }),
      chat({}),
      chat({ content: '' }),
      chat({ content: 'y' }),
    ]
    const obs = await run('openai-chat', body(SSE, parts.join('') + usage(2) + DONE))
    expect(obs.outcome).toBe('ok')
    expect(obs.chunkTokens).toEqual([1, 1])
    expect(obs.server.outputTokens).toBe(2)
  })

  it('a chunk with several tokens: OpenAI counts one per chunk and keeps the server count beside it', async () => {
    const obs = await run('openai-completions', body(SSE, cmpl(' two toks') + cmpl(' three more toks') + usage(5) + DONE))
    expect(obs.outcome).toBe('ok')
    expect(obs.chunkTokens).toEqual([1, 1])
    expect(obs.tokensExplicit).toBe(false)
    expect(obs.server.outputTokens).toBe(5) // authoritative; metrics flag the 2 ≠ 5 mismatch
  })

  it('llama.cpp token-id arrays count every token of a multi-token chunk', async () => {
    const ev = (content: string, tokens: number[], stop = false) => `data: ${JSON.stringify({ index: 0, content, tokens, stop, id_slot: 0 })}\n\n`
    const final = `data: ${JSON.stringify({ index: 0, content: '', tokens: [], stop: true, tokens_predicted: 6, tokens_evaluated: 2, stop_type: 'limit' })}\n\n`
    const obs = await run('llamacpp', body(SSE, ev('ab', [1, 2]) + ev('cde', [3, 4, 5]) + ev('', []) + ev('f', [6]) + final))
    expect(obs.outcome).toBe('ok')
    expect(obs.chunkTokens).toEqual([2, 3, 1])
    expect(obs.tokensExplicit).toBe(true)
    expect(obs.server.outputTokens).toBe(6)
  })

  it('a missing usage chunk leaves the server count undefined (never the requested length)', async () => {
    const obs = await run('openai-completions', body(SSE, cmpl('a') + cmpl('b') + DONE), { maxTokens: 64 })
    expect(obs.outcome).toBe('ok')
    expect(obs.chunkTokens).toEqual([1, 1])
    expect(obs.server.outputTokens).toBeUndefined()
    expect(obs.server).toEqual({})
  })

  it('an Ollama final object without counts leaves them undefined', async () => {
    const obs = await run('ollama-generate', body(NDJSON, ollamaTok('a') + ollamaTok('b') + ollamaFinal({})), { maxTokens: 64 })
    expect(obs.outcome).toBe('ok')
    expect(obs.chunkTokens).toEqual([1, 1])
    expect(obs.server).toEqual({ finishReason: 'length' })
  })

  it('reasoning deltas named `reasoning` count as output, TTFOT is the first content', async () => {
    const obs = await run('openai-chat', body(SSE, chat({ reasoning: 'hm' }) + chat({ reasoning: 'm' }) + chat({ content: 'A' }) + DONE))
    expect(obs.outcome).toBe('ok')
    expect(obs.chunkTokens).toEqual([1, 1, 1])
    expect(obs.reasoningTokens).toBe(2)
    expect(obs.tFirstContent).toBe(obs.chunkTimes[2])
  })

  it('usage on every chunk (vLLM continuous_usage_stats): the last count wins, every chunk still counted', async () => {
    const u = (n: number) => `,"usage":{"prompt_tokens":3,"total_tokens":${3 + n},"completion_tokens":${n}}`
    const obs = await run('openai-completions', body(SSE, cmpl('a', u(1)) + cmpl('b', u(2)) + cmpl('c', u(3)) + usage(3) + DONE))
    expect(obs.outcome).toBe('ok')
    expect(obs.chunkTokens).toEqual([1, 1, 1])
    expect(obs.server.outputTokens).toBe(3)
  })

  it('token text with escaped quotes, backslashes and multi-byte characters', async () => {
    const texts = ['say "hi"', '\\', '"', 'naïve ✓', '']
    server = await serve(body(SSE, texts.map((t) => cmpl(t)).join('') + usage(4) + DONE))
    for (const keepText of [false, true]) {
      const client = createClient('openai-completions', server.url, { keepText })
      const obs = await client.generate(REQ)
      await client.close()
      expect(obs.outcome).toBe('ok')
      expect(obs.chunkTokens).toEqual([1, 1, 1, 1])
      expect(obs.text).toBe(keepText ? 'say "hi"\\"naïve ✓' : undefined)
    }
  })

  it('multi-line data and named error events (SSE field rules)', async () => {
    const multi = 'data: {"choices":[{"index":0,\ndata: "text":"x"}]}\n\n'
    const obs = await run('openai-completions', body(SSE, multi + DONE))
    expect(obs.outcome).toBe('ok')
    expect(obs.chunkTokens).toEqual([1])
    await server!.close()
    server = undefined
    const named = await run('openai-completions', body(SSE, `${cmpl('a')}event: error\ndata: {"message":"overloaded"}\n\n`))
    expect(named.outcome).toBe('protocol_error')
    expect(named.error).toBe('the server sent an error event: {"message":"overloaded"}')
  })

  it('CRLF line endings and a final event without its blank line', async () => {
    const crlf = (cmpl('a') + cmpl('b') + usage(2)).replaceAll('\n', '\r\n')
    const obs = await run('openai-completions', body(SSE, `${crlf}data: [DONE]`))
    expect(obs.outcome).toBe('ok')
    expect(obs.chunkTokens).toEqual([1, 1])
    expect(obs.server.outputTokens).toBe(2)
  })
})

describe('failures, each a distinct outcome', () => {
  it('malformed line → protocol_error, earlier chunks kept', async () => {
    const obs = await run('openai-completions', body(SSE, `${cmpl('a') + cmpl('b')}data: this is not json\n\n${cmpl('c')}${DONE}`))
    expect(obs.outcome).toBe('protocol_error')
    expect(obs.error).toContain('malformed SSE event (not a JSON object): this is not json')
    expect(obs.chunkTokens).toEqual([1, 1])
  })

  it('truncated JSON → protocol_error', async () => {
    const obs = await run('openai-chat', body(SSE, `${chat({ content: 'a' })}data: {"id":"c2","choices":[{"index":0,"delta":{"content":"b"\n\n${DONE}`))
    expect(obs.outcome).toBe('protocol_error')
    expect(obs.error).toMatch(/^malformed SSE event \(not a JSON object\): \{"id":"c2"/)
    expect(obs.chunkTokens).toEqual([1])
  })

  it('malformed NDJSON line (Ollama) → protocol_error', async () => {
    const obs = await run('ollama-chat', body(NDJSON, '{"model":"m","message":{"role":"assistant","content":"a"},"done":false}\n{"model":"m","mess\n'))
    expect(obs.outcome).toBe('protocol_error')
    expect(obs.error).toContain('malformed NDJSON line')
    expect(obs.chunkTokens).toEqual([1])
  })

  it('an error event mid-stream → protocol_error with the server message', async () => {
    const err = 'data: {"error":{"code":500,"message":"CUDA out of memory","type":"server_error"}}\n\n'
    const obs = await run('openai-completions', body(SSE, cmpl('a') + err))
    expect(obs.outcome).toBe('protocol_error')
    expect(obs.error).toBe('the server sent an error event: CUDA out of memory')
    const tgiErr = 'data:{"error":"Request failed during generation: Server error: out of memory","error_type":"generation"}\n\n'
    const t = await run('tgi', body(SSE, tgiErr))
    expect(t.outcome).toBe('protocol_error')
    expect(t.error).toBe('TGI reported an error (generation): Request failed during generation: Server error: out of memory')
  })

  it('wrong content-type → protocol_error with the body excerpt', async () => {
    const obs = await run('openai-completions', body('application/json', '{"id":"x","choices":[{"text":"whole answer"}]}'))
    expect(obs.outcome).toBe('protocol_error')
    expect(obs.httpStatus).toBe(200)
    expect(obs.error).toContain('content-type "application/json", expected text/event-stream')
    expect(obs.bodyExcerpt).toBe('{"id":"x","choices":[{"text":"whole answer"}]}')
    expect(obs.chunkTimes).toEqual([])
  })

  it.each([
    [429, '{"error":{"message":"Too many requests","type":"rate_limit"}}'],
    [500, 'Internal Server Error'],
    [404, '{"object":"error","message":"The model `gpt-4` does not exist.","type":"NotFoundError","param":null,"code":404}'],
  ])('HTTP %i → http_error with status and body excerpt', async (status, text) => {
    const obs = await run('openai-chat', body('application/json', text, status))
    expect(obs.outcome).toBe('http_error')
    expect(obs.httpStatus).toBe(status)
    expect(obs.bodyExcerpt).toBe(text)
    expect(obs.error).toBe(`POST ${server!.url}/v1/chat/completions answered HTTP ${status}: ${text}`)
  })

  it('a long error body is cut to 500 characters', async () => {
    const obs = await run('tgi', body('application/json', 'é'.repeat(5000), 503))
    expect(obs.outcome).toBe('http_error')
    expect(obs.bodyExcerpt).toBe('é'.repeat(500))
  })

  it('mid-stream disconnect → disconnect, chunks so far kept', async () => {
    const obs = await run('openai-completions', cutAfter(SSE, cmpl('a'), cmpl('b')))
    expect(obs.outcome).toBe('disconnect')
    expect(obs.error).toContain('mid-stream after 2 output chunks')
    expect(obs.chunkTokens).toEqual([1, 1])
  })

  it.each<[ProtocolName, string, string]>([
    ['openai-completions', SSE, cmpl('a') + cmpl('b') + usage(2)],
    ['ollama-generate', NDJSON, ollamaTok('a') + ollamaTok('b')],
    ['llamacpp', SSE, 'data: {"index":0,"content":"a","tokens":[1],"stop":false}\n\n'],
    ['tgi', SSE, 'data:{"index":1,"token":{"id":1,"text":"a","logprob":0,"special":false},"generated_text":null,"details":null}\n\n'],
  ])('%s: a clean body end without the end marker → disconnect', async (protocol, ct, text) => {
    const obs = await run(protocol, body(ct, text))
    expect(obs.outcome).toBe('disconnect')
    expect(obs.error).toMatch(/without the end marker/)
  })

  it('triton has no end marker: clean end is ok, a cut socket is a disconnect', async () => {
    const ev = (t: string) => `data: {"model_name":"ensemble","model_version":"1","text_output":${JSON.stringify(t)}}\n\n`
    const ok = await run('triton', body(SSE, ev('a') + ev('') + ev('b')))
    expect(ok.outcome).toBe('ok')
    expect(ok.chunkTokens).toEqual([1, 1])
    await server!.close()
    server = undefined
    const cut = await run('triton', cutAfter(SSE, ev('a')))
    expect(cut.outcome).toBe('disconnect')
    expect(cut.chunkTokens).toEqual([1])
  })

  it('silence mid-stream → stall after stallMs', async () => {
    const obs = await run('openai-completions', silentAfter(SSE, cmpl('a'), cmpl('b')), { stallMs: 150 })
    expect(obs.outcome).toBe('stall')
    expect(obs.error).toContain('for 150 ms while streaming (after 2 output chunks)')
    expect(obs.chunkTokens).toEqual([1, 1])
    expect(obs.tEnd - obs.chunkTimes[1]!).toBeGreaterThanOrEqual(140)
  })

  it('no response head before the deadline → timeout', async () => {
    const obs = await run('ollama-generate', () => {}, { timeoutMs: 150 })
    expect(obs.outcome).toBe('timeout')
    expect(obs.error).toContain('within 150 ms (request deadline; raise TIMEOUT_GEN')
    expect(obs.tEnd).toBeGreaterThan(obs.tSend)
  })

  it('a stream still going at the deadline → timeout, chunks kept', async () => {
    const obs = await run('ollama-generate', silentAfter(NDJSON, ollamaTok('a')), { timeoutMs: 150 })
    expect(obs.outcome).toBe('timeout')
    expect(obs.chunkTokens).toEqual([1])
  })

  it('nothing listening → connect_error', async () => {
    const s = http.createServer()
    s.listen(0, '127.0.0.1')
    await once(s, 'listening')
    const { port } = s.address() as AddressInfo
    s.close()
    await once(s, 'close')
    const client = createClient('tgi', `http://127.0.0.1:${port}`)
    const obs = await client.generate(REQ)
    await client.close()
    expect(obs.outcome).toBe('connect_error')
    expect(obs.error).toContain('ECONNREFUSED')
    expect(obs.error).toContain('<STACK>_URL')
  })

  it('the caller aborts mid-stream → aborted; an already-aborted signal never sends', async () => {
    const ac = new AbortController()
    const p = run('openai-completions', silentAfter(SSE, cmpl('a')), { signal: ac.signal })
    while (server === undefined || server.requests.length === 0) await new Promise((r) => setImmediate(r))
    ac.abort()
    const obs = await p
    expect(obs.outcome).toBe('aborted')
    await server.close()
    server = undefined
    const pre = await run('openai-completions', body(SSE, DONE), { signal: AbortSignal.abort() })
    expect(pre.outcome).toBe('aborted')
    expect(server!.requests).toHaveLength(0)
  })
})

it('one signal shared by many concurrent requests aborts them all, without listener warnings', async () => {
  const warnings: string[] = []
  const onWarning = (w: Error) => warnings.push(w.name)
  process.on('warning', onWarning)
  server = await serve(silentAfter(SSE, cmpl('a')))
  const client = createClient('openai-completions', server.url)
  const ac = new AbortController()
  const all = Promise.all(Array.from({ length: 40 }, (_, i) => client.generate({ ...REQ, requestId: `shared-${i}`, signal: ac.signal })))
  while (server.requests.length < 40) await new Promise((r) => setImmediate(r))
  ac.abort()
  const obs = await all
  await client.close()
  process.off('warning', onWarning)
  expect(obs.map((o) => o.outcome)).toEqual(Array(40).fill('aborted'))
  expect(warnings).toEqual([])
})

describe('request shapes', () => {
  const ok: Record<ProtocolName, [string, string]> = {
    'openai-completions': [SSE, DONE],
    'openai-chat': [SSE, DONE],
    'ollama-generate': [NDJSON, ollamaFinal({})],
    'ollama-chat': [NDJSON, ollamaFinal({})],
    llamacpp: [SSE, 'data: {"content":"","tokens":[],"stop":true}\n\n'],
    tgi: [SSE, 'data:{"index":0,"generated_text":"","details":null}\n\n'],
    triton: [SSE, ''],
  }
  async function sent(protocol: ProtocolName, req: Partial<GenerateRequest>): Promise<{ url: string; json: unknown; headers: http.IncomingHttpHeaders }> {
    const [ct, text] = ok[protocol]
    const obs = await run(protocol, body(ct, text), req)
    expect(obs.outcome).toBe('ok')
    const r = server!.requests[0]!
    return { url: r.url, json: JSON.parse(r.body), headers: r.headers }
  }

  it('OpenAI completions: usage requested, ignore_eos only when asked, extras merged', async () => {
    const a = await sent('openai-completions', { extra: { min_tokens: 8 } })
    expect(a.url).toBe('/v1/completions')
    expect(a.json).toEqual({
      model: 'm',
      prompt: 'hello',
      max_tokens: 8,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
      ignore_eos: true,
      min_tokens: 8,
    })
    expect(a.headers['x-request-id']).toBe('adv-1')
    expect(a.headers.accept).toBe(SSE)
    await server!.close()
    server = undefined
    const b = await sent('openai-chat', {
      ignoreEos: false,
      prompt: [
        { role: 'system', content: 's' },
        { role: 'user', content: 'u' },
      ],
    })
    expect(b.url).toBe('/v1/chat/completions')
    expect(b.json).toEqual({
      model: 'm',
      messages: [
        { role: 'system', content: 's' },
        { role: 'user', content: 'u' },
      ],
      max_tokens: 8,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    })
  })

  it('Ollama: runtime parameters nested under options, request fields stay top-level', async () => {
    const a = await sent('ollama-generate', { extra: { num_gpu: 32, num_ctx: 4096, keep_alive: '5m', options: { seed: 7 } } })
    expect(a.url).toBe('/api/generate')
    expect(a.json).toEqual({
      model: 'm',
      prompt: 'hello',
      keep_alive: '5m',
      stream: true,
      options: { num_predict: 8, temperature: 0, num_gpu: 32, num_ctx: 4096, seed: 7 },
    })
    await server!.close()
    server = undefined
    const b = await sent('ollama-chat', {})
    expect(b.url).toBe('/api/chat')
    expect(b.json).toEqual({ model: 'm', messages: [{ role: 'user', content: 'hello' }], stream: true, options: { num_predict: 8, temperature: 0 } })
  })

  it('llama.cpp, TGI and Triton bodies', async () => {
    const l = await sent('llamacpp', {})
    expect(l.url).toBe('/completion')
    expect(l.json).toEqual({ prompt: 'hello', n_predict: 8, temperature: 0, stream: true, ignore_eos: true })
    await server!.close()
    server = undefined
    const t = await sent('tgi', { extra: { top_p: 0.9 } })
    expect(t.url).toBe('/generate_stream')
    expect(t.json).toEqual({ inputs: 'hello', parameters: { do_sample: false, max_new_tokens: 8, details: true, top_p: 0.9 }, stream: true })
    await server!.close()
    server = undefined
    const x = await sent('triton', { model: 'ensemble' })
    expect(x.url).toBe('/v2/models/ensemble/generate_stream')
    expect(x.json).toEqual({ text_input: 'hello', max_tokens: 8, temperature: 0, stream: true, ignore_eos: true })
  })

  it('configuration errors are explained, not outcomes', async () => {
    const client = createClient('triton', 'http://127.0.0.1:9')
    await expect(client.generate({ ...REQ, model: undefined })).rejects.toThrow(/GenerateRequest.model is required/)
    await client.close()
    expect(() => createClient('openai-chat', 'localhost:8000')).toThrow(/must be an http:\/\/ or https:\/\/ URL/)
    expect(() => createClient('nope' as ProtocolName, 'http://x')).toThrow(/unknown protocol "nope": use one of openai-completions/)
  })

  it('keep-alive: sequential requests reuse one connection', async () => {
    server = await serve(body(SSE, cmpl('a') + DONE))
    const client = createClient('openai-completions', server.url)
    for (let i = 0; i < 3; i++) expect((await client.generate({ ...REQ, requestId: `ka-${i}` })).outcome).toBe('ok')
    await client.close()
    expect(server.requests.map((r) => r.headers['x-request-id'])).toEqual(['ka-0', 'ka-1', 'ka-2'])
    expect(server.connections()).toBe(1)
  })
})
