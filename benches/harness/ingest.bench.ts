// Ingest ceiling: how many output tokens per second one client process can read and timestamp.
// Zero-delay simulator in its own process (precomputed bodies, one token per SSE event), 1/16/64/256
// concurrent streams. Target: ≥ 1,000,000 tokens/s at 64 streams on the 2-core dev machine.
import { quantileSorted } from 'simple-statistics'
import { Pool } from 'undici'
import { afterAll, beforeAll, bench, describe, type TaskMeta, TestRunner } from 'vitest'
import { createClient, type ProtocolClient, type ProtocolName } from '../../helpers/protocols/index.ts'
import { naiveStream } from './naive-client.ts'
import { startSimProcess, type SimProcess } from './sim-process.ts'

declare module 'vitest' {
  interface TaskMeta {
    harnessIngest?: { protocol: string; streams: number; tokensPerSec: number; samples: number[] }
  }
}

const TOKENS_PER_REQUEST = 1024
const REQUESTS_PER_ITERATION = 256
const STREAMS = [1, 16, 64, 256]
const OPTS = { iterations: 3, time: 0, warmupIterations: 1, warmupTime: 0 }

let sim: SimProcess
const clients = new Map<string, ProtocolClient>()
const rows: { name: string; streams: number; samples: number[] }[] = []
let seq = 0

beforeAll(async () => {
  sim = await startSimProcess([
    '--protocol',
    'openai',
    '--precompute',
    '--ttft-ms',
    '0',
    '--per-prompt-token-ms',
    '0',
    '--itl-ms',
    '0',
    '--max-seqs',
    '1024',
    '--max-queue',
    '4096',
  ])
}, 60_000)

afterAll(async () => {
  for (const c of clients.values()) await c.close()
  await sim?.stop()
  console.log(`\ningest ceiling (${TOKENS_PER_REQUEST} tokens/request, ${REQUESTS_PER_ITERATION} requests/iteration, 1 token per SSE event)`)
  console.log('client                      streams   tokens/s (median)   min .. max')
  for (const r of rows) {
    const s = [...r.samples].sort((a, b) => a - b)
    if (s.length === 0) continue
    const fmt = (x: number) => Math.round(x).toLocaleString('en-US')
    console.log(`${r.name.padEnd(28)}${String(r.streams).padStart(7)}   ${fmt(quantileSorted(s, 0.5)).padStart(17)}   ${fmt(s[0]!)} .. ${fmt(s.at(-1)!)}`)
  }
})

function client(protocol: ProtocolName): ProtocolClient {
  let c = clients.get(protocol)
  if (!c) clients.set(protocol, (c = createClient(protocol, sim.url)))
  return c
}

/** Run REQUESTS_PER_ITERATION requests through `streams` workers; tokens/s over the wall time. */
async function drive(streams: number, one: (id: string) => Promise<number>): Promise<number> {
  let next = 0
  let tokens = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: streams }, async () => {
      while (next < REQUESTS_PER_ITERATION) {
        next++
        tokens += await one(`ingest-${seq++}`)
      }
    }),
  )
  const secs = (performance.now() - t0) / 1000
  if (tokens !== REQUESTS_PER_ITERATION * TOKENS_PER_REQUEST)
    throw new Error(`ingest bench: read ${tokens} tokens, expected ${REQUESTS_PER_ITERATION * TOKENS_PER_REQUEST}: the client lost tokens`)
  return tokens / secs
}

function record(name: string, streams: number, fn: () => Promise<number>): void {
  const row = { name, streams, samples: [] as number[] }
  rows.push(row)
  let phase = 'run'
  let meta: TaskMeta | undefined
  bench(
    `${name}, ${streams} streams`,
    async () => {
      const tps = await fn()
      if (phase !== 'run') return
      row.samples.push(tps)
      const s = [...row.samples].sort((a, b) => a - b)
      if (meta) meta.harnessIngest = { protocol: name, streams, tokensPerSec: quantileSorted(s, 0.5), samples: [...row.samples] }
    },
    { ...OPTS, setup: (_t, mode) => void (phase = mode) },
  )
  const task = TestRunner.getCurrentSuite().tasks.at(-1)
  meta = task && 'meta' in task ? task.meta : undefined
}

describe('harness ingest ceiling', () => {
  for (const streams of STREAMS) {
    record('fuze client (openai-completions)', streams, () =>
      drive(streams, async (id) => {
        const obs = await client('openai-completions').generate({
          prompt: 'x',
          maxTokens: TOKENS_PER_REQUEST,
          temperature: 0,
          ignoreEos: true,
          timeoutMs: 60_000,
          requestId: id,
        })
        if (obs.outcome !== 'ok') throw new Error(`ingest bench: request ${id} ended ${obs.outcome}: ${obs.error}`)
        return obs.chunkTimes.length
      }),
    )
  }
  let pool: Pool | undefined
  record('naive undici loop (reference)', 64, () => {
    pool ??= new Pool(sim.url)
    const body = JSON.stringify({ prompt: 'x', max_tokens: TOKENS_PER_REQUEST, stream: true, ignore_eos: true, stream_options: { include_usage: true } })
    return drive(64, async (id) => (await naiveStream(pool!, body, id)).times.length)
  })
})
