// Every client against the simulator speaking its protocol: what the client counted must equal the
// simulator's ground truth (chunks, tokens, server counts), and every fault must end in its own outcome.
import { afterEach, describe, expect, it } from 'vitest'
import { createClient, type ProtocolName } from '../../helpers/protocols/index.ts'
import type { GenerateRequest, StreamObservation } from '../../helpers/types.ts'
import { startSim, type SimConfig, type SimHandle, type SimProtocol, type SimTruth } from '../../sim/index.ts'

const SIM_PROTOCOL: Record<ProtocolName, SimProtocol> = {
  'openai-completions': 'openai',
  'openai-chat': 'openai',
  'ollama-generate': 'ollama',
  'ollama-chat': 'ollama',
  llamacpp: 'llamacpp',
  tgi: 'tgi',
  triton: 'triton',
}
const ALL = Object.keys(SIM_PROTOCOL) as ProtocolName[]
/** Protocols whose wire carries token counts per chunk. */
const EXPLICIT = new Set<ProtocolName>(['llamacpp', 'tgi'])
/** Protocols with a server-side output count in the stream. */
const COUNTED: ProtocolName[] = ALL.filter((p) => p !== 'triton')
const WITH_REASONING: ProtocolName[] = ['openai-chat', 'ollama-generate', 'ollama-chat']
const SSE_PROTOCOLS = ALL.filter((p) => !p.startsWith('ollama'))

let sim: SimHandle | undefined
afterEach(async () => {
  await sim?.close()
  sim = undefined
})

let seq = 0
async function run(
  protocol: ProtocolName,
  config: Partial<SimConfig>,
  req: Partial<GenerateRequest> = {},
): Promise<{ obs: StreamObservation; truth: SimTruth }> {
  sim = await startSim({ protocol: SIM_PROTOCOL[protocol], ttftMs: 1, itlMs: 0, perPromptTokenMs: 0, ...config })
  const client = createClient(protocol, sim.url)
  const requestId = `sim-test-${seq++}`
  const obs = await client.generate({
    prompt: 'hello there',
    maxTokens: 12,
    temperature: 0,
    ignoreEos: true,
    model: 'sim-model',
    timeoutMs: 5000,
    requestId,
    ...req,
  })
  await client.close()
  const truth = sim.truth(requestId)
  expect(truth, 'the simulator saw the request id').toBeDefined()
  return { obs, truth: truth! }
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)

describe.each(ALL)('%s against the simulator', (protocol) => {
  it('clean stream: chunks, tokens and server count equal the ground truth', async () => {
    const { obs, truth } = await run(protocol, {})
    expect(obs.error).toBeUndefined()
    expect(obs.outcome).toBe('ok')
    expect(obs.chunkTimes).toHaveLength(truth.chunkTimes.length)
    expect(sum(obs.chunkTokens)).toBe(truth.outputTokens)
    expect(truth.outputTokens).toBe(12)
    expect(obs.server.outputTokens).toBe(COUNTED.includes(protocol) ? 12 : undefined)
  })

  it('multi-token chunks: explicit counts where the wire has them, else one per chunk beside the server count', async () => {
    const { obs, truth } = await run(protocol, { tokensPerChunk: 3 })
    expect(obs.outcome).toBe('ok')
    if (protocol === 'tgi') {
      // TGI's wire is one event per token: the simulator's 3-token write arrives as 3 events.
      expect(obs.chunkTokens).toEqual(Array(truth.outputTokens).fill(1))
    } else if (EXPLICIT.has(protocol)) {
      expect(obs.tokensExplicit).toBe(true)
      expect(obs.chunkTokens).toEqual(truth.chunkTokens)
    } else {
      expect(obs.chunkTokens).toEqual(truth.chunkTokens.map(() => 1))
    }
    if (COUNTED.includes(protocol)) expect(obs.server.outputTokens).toBe(truth.outputTokens)
  })

  it('role-only first chunk, empty chunks and keep-alives carry no output (TGI: its empty events are special tokens, which TGI counts)', async () => {
    const { obs, truth } = await run(protocol, { faults: { roleOnlyFirstChunk: true, emptyChunks: 4, keepAlive: true } })
    expect(obs.outcome).toBe('ok')
    // TGI has no empty event: the simulator sends special tokens with empty text, and a special token is a generated token
    const extra = protocol === 'tgi' ? 4 : 0
    expect(obs.chunkTimes).toHaveLength(truth.chunkTimes.length + extra)
    expect(sum(obs.chunkTokens)).toBe(truth.outputTokens + extra)
  })

  it('missing usage: server count stays undefined, never the requested length', async () => {
    const { obs } = await run(protocol, { faults: { missingUsage: true } }, { maxTokens: 9 })
    expect(obs.outcome).toBe('ok')
    expect(obs.server.outputTokens).toBeUndefined()
    expect(sum(obs.chunkTokens)).toBe(9)
  })

  it('a server count that disagrees is kept as the server said', async () => {
    const { obs, truth } = await run(protocol, { faults: { serverCountOffBy: 2 } })
    expect(obs.outcome).toBe('ok')
    expect(sum(obs.chunkTokens)).toBe(truth.outputTokens)
    expect(obs.server.outputTokens).toBe(COUNTED.includes(protocol) ? truth.outputTokens + 2 : undefined)
  })

  it('malformed line → protocol_error after the chunks before it', async () => {
    const { obs } = await run(protocol, { faults: { malformedLineAt: 2 } })
    expect(obs.outcome).toBe('protocol_error')
    expect(obs.error).toMatch(/^malformed (SSE event|NDJSON line) \(not a JSON object\)/)
    expect(obs.chunkTimes).toHaveLength(2)
  })

  it('truncated JSON → protocol_error', async () => {
    const { obs } = await run(protocol, { faults: { truncatedJsonAt: 3 } })
    expect(obs.outcome).toBe('protocol_error')
    expect(obs.chunkTimes).toHaveLength(3)
  })

  it('mid-stream disconnect → disconnect with the chunks so far', async () => {
    const { obs } = await run(protocol, { faults: { disconnectAfter: 4 } })
    expect(obs.outcome).toBe('disconnect')
    expect(obs.chunkTimes).toHaveLength(4)
  })

  it('stall → stall', async () => {
    const { obs } = await run(protocol, { itlMs: 5, faults: { stallAfterMs: 20 } }, { stallMs: 150 })
    expect(obs.outcome).toBe('stall')
    expect(obs.chunkTimes.length).toBeGreaterThan(0)
    expect(obs.chunkTimes.length).toBeLessThan(12)
  })

  it('HTTP 429 with a body → http_error with status and excerpt', async () => {
    const { obs } = await run(protocol, { faults: { status: 429, statusBody: 'slow down please' } })
    expect(obs.outcome).toBe('http_error')
    expect(obs.httpStatus).toBe(429)
    expect(obs.bodyExcerpt).toContain('slow down please')
  })

  it('wrong content-type → protocol_error', async () => {
    const { obs } = await run(protocol, { faults: { wrongContentType: true } })
    expect(obs.outcome).toBe('protocol_error')
    expect(obs.error).toContain('content-type "text/plain')
  })
})

describe.each(WITH_REASONING)('%s reasoning', (protocol) => {
  it('reasoning chunks are output; the first content chunk is TTFOT', async () => {
    const { obs, truth } = await run(protocol, { faults: { reasoningTokens: 3 } })
    expect(obs.outcome).toBe('ok')
    expect(obs.chunkTimes).toHaveLength(truth.chunkTimes.length)
    expect(obs.reasoningTokens).toBe(3)
    expect(obs.tFirstContent).toBe(obs.chunkTimes[3])
  })
})

it.each(SSE_PROTOCOLS)('%s: keep-alive comments alone never count', async (protocol) => {
  const { obs, truth } = await run(protocol, { faults: { keepAlive: true } })
  expect(obs.outcome).toBe('ok')
  expect(obs.chunkTimes).toHaveLength(truth.chunkTimes.length)
})
