// Ingest ceiling: how many output tokens per second one client process can read and timestamp.
// Zero-delay simulator in its own process (precomputed bodies, one token per SSE event), 1/16/64/256
// concurrent streams. Target: ≥ 1,000,000 tokens/s at 64 streams on the 2-core dev machine.
import { Pool } from 'undici'
import { afterAll, beforeAll, describe } from 'vitest'
import { simRef, type SimRef } from '../../test/load/sim-ref.ts'
import { drive, fmtInt, harnessBench, median, ZERO_DELAY } from './kit.ts'
import { naiveStream } from './naive-client.ts'

declare module 'vitest' {
  interface TaskMeta {
    harnessIngest?: { protocol: string; streams: number; tokensPerSec: number; tokensPerCpuSec: number; samples: number[] }
  }
}

const TOKENS_PER_REQUEST = 1024
const REQUESTS_PER_ITERATION = 256
const STREAMS = [1, 16, 64, 256]

let sim: SimRef
interface Row {
  name: string
  streams: number
  /** tokens per wall second, per measured iteration */
  samples: number[]
  /** tokens per second of the client's own CPU time (user + system): the ceiling with a whole core */
  perCpu: number[]
}
const rows: Row[] = []

beforeAll(async () => {
  sim = await simRef(ZERO_DELAY)
}, 60_000)

afterAll(async () => {
  await sim?.close()
  console.log(`\ningest ceiling (${TOKENS_PER_REQUEST} tokens/request, ${REQUESTS_PER_ITERATION} requests/iteration, 1 token per SSE event)`)
  console.log('client                            streams   tokens/s (median)          min .. max   tokens per client CPU-second')
  for (const r of rows) {
    if (r.samples.length === 0) continue
    const s = [...r.samples].sort((a, b) => a - b)
    const range = `${fmtInt(s[0]!)} .. ${fmtInt(s.at(-1)!)}`
    console.log(
      `${r.name.padEnd(34)}${String(r.streams).padStart(7)}   ${fmtInt(median(s)).padStart(17)}   ${range.padStart(20)}   ${fmtInt(median(r.perCpu)).padStart(20)}`,
    )
  }
})

/** REQUESTS_PER_ITERATION requests through `streams` workers; tokens/s over wall time and over client CPU time. */
function record(name: string, streams: number, one: (id: string) => Promise<number>): void {
  const row: Row = { name, streams, samples: [], perCpu: [] }
  rows.push(row)
  harnessBench(
    `${name}, ${streams} streams`,
    () => drive(streams, REQUESTS_PER_ITERATION, REQUESTS_PER_ITERATION * TOKENS_PER_REQUEST, one),
    (d, meta) => {
      row.samples.push((d.tokens * 1000) / d.ms)
      row.perCpu.push(d.tokens / d.cpuS)
      if (meta)
        meta.harnessIngest = { protocol: name, streams, tokensPerSec: median(row.samples), tokensPerCpuSec: median(row.perCpu), samples: [...row.samples] }
    },
  )
}

describe('harness ingest ceiling', () => {
  for (const streams of STREAMS) {
    record('fuze client (openai-completions)', streams, async (id) => {
      const obs = await sim.server.client('openai-completions').generate({
        prompt: 'x',
        maxTokens: TOKENS_PER_REQUEST,
        temperature: 0,
        ignoreEos: true,
        timeoutMs: 60_000,
        requestId: id,
      })
      if (obs.outcome !== 'ok') throw new Error(`ingest bench: request ${id} ended ${obs.outcome}: ${obs.error}`)
      return obs.chunkTimes.length
    })
  }
  let pool: Pool | undefined
  const body = JSON.stringify({ prompt: 'x', max_tokens: TOKENS_PER_REQUEST, stream: true, ignore_eos: true, stream_options: { include_usage: true } })
  record('naive undici loop (reference)', 64, async (id) => {
    pool ??= new Pool(sim.url)
    return (await naiveStream(pool, body, id)).times.length
  })
})
