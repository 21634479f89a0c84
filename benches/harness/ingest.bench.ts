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
    harnessIngest?: { protocol: string; streams: number; tokensPerSec: number; tokensPerCpuSec: number; samples: number[] }
  }
}

const TOKENS_PER_REQUEST = 1024
const REQUESTS_PER_ITERATION = 256
const STREAMS = [1, 16, 64, 256]
const OPTS = { iterations: 3, time: 0, warmupIterations: 1, warmupTime: 0 }

let sim: SimProcess
const clients = new Map<string, ProtocolClient>()
interface Row {
  name: string
  streams: number
  /** tokens per wall second, per measured iteration */
  samples: number[]
  /** tokens per second of the client's own CPU time (user + system): the ceiling with a whole core */
  perCpu: number[]
}
const rows: Row[] = []
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
  console.log('client                            streams   tokens/s (median)          min .. max   tokens per client CPU-second')
  for (const r of rows) {
    if (r.samples.length === 0) continue
    const s = [...r.samples].sort((a, b) => a - b)
    const fmt = (x: number) => Math.round(x).toLocaleString('en-US')
    const range = `${fmt(s[0]!)} .. ${fmt(s.at(-1)!)}`
    console.log(
      `${r.name.padEnd(34)}${String(r.streams).padStart(7)}   ${fmt(median(s)).padStart(17)}   ${range.padStart(20)}   ${fmt(median(r.perCpu)).padStart(20)}`,
    )
  }
})

function client(protocol: ProtocolName): ProtocolClient {
  let c = clients.get(protocol)
  if (!c) clients.set(protocol, (c = createClient(protocol, sim.url)))
  return c
}

const median = (xs: number[]) =>
  quantileSorted(
    [...xs].sort((a, b) => a - b),
    0.5,
  )

interface Rate {
  perWall: number
  perCpu: number
}

/** Run REQUESTS_PER_ITERATION requests through `streams` workers; tokens/s over wall time and over client CPU time. */
async function drive(streams: number, one: (id: string) => Promise<number>): Promise<Rate> {
  let next = 0
  let tokens = 0
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: streams }, async () => {
      while (next < REQUESTS_PER_ITERATION) {
        next++
        const n = await one(`ingest-${seq++}`)
        tokens += n
      }
    }),
  )
  const secs = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  const cpuSecs = (cpu.user + cpu.system) / 1e6
  if (tokens !== REQUESTS_PER_ITERATION * TOKENS_PER_REQUEST)
    throw new Error(`ingest bench: read ${tokens} tokens, expected ${REQUESTS_PER_ITERATION * TOKENS_PER_REQUEST}: the client lost tokens`)
  return { perWall: tokens / secs, perCpu: tokens / cpuSecs }
}

function record(name: string, streams: number, fn: () => Promise<Rate>): void {
  const row: Row = { name, streams, samples: [], perCpu: [] }
  rows.push(row)
  let phase = 'run'
  let meta: TaskMeta | undefined
  bench(
    `${name}, ${streams} streams`,
    async () => {
      // tinybench swallows a throwing bench as "0 samples": say why before it does.
      const rate = await fn().catch((e: unknown) => {
        console.error(`ingest bench "${name}, ${streams} streams" failed: ${(e as Error).message}`)
        throw e
      })
      if (phase !== 'run') return
      row.samples.push(rate.perWall)
      row.perCpu.push(rate.perCpu)
      if (meta)
        meta.harnessIngest = {
          protocol: name,
          streams,
          tokensPerSec: median(row.samples),
          tokensPerCpuSec: median(row.perCpu),
          samples: [...row.samples],
        }
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
