// Product-path speed: the whole llmBench load path — CaseRun, sendOne, the protocol client, toRecord, the case
// and load accumulators, the buffered requests.jsonl writer, the summary and the client-bound verdict — against a
// zero-delay simulator in its own process (precomputed bodies, one token per SSE event, like vLLM's
// /v1/completions). Output tokens per wall second, the client's peak RSS and event-loop delay, at 1 / 64 / 256
// streams, beside the naive undici loop at 64 streams (naive-client.ts, the bare reference).
// Target: ≥ 1,000,000 tokens/s at 64 streams (median of 3) on the 2-core dev machine.
// PRODUCT_PATH_TOKENS / PRODUCT_PATH_REQUESTS override the per-iteration shape (defaults 512 tokens, 1024 requests).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { quantileSorted } from 'simple-statistics'
import { Pool } from 'undici'
import { afterAll, beforeAll, bench, describe, type TaskMeta, TestRunner } from 'vitest'
import { getKnobs } from '../../env/index.ts'
import { planLevels } from '../../helpers/load/plan.ts'
import { runLoadCase } from '../../helpers/load/run-load.ts'
import { simRef, type SimRef } from '../../test/load/sim-ref.ts'
import { naiveStream } from './naive-client.ts'

declare module 'vitest' {
  interface TaskMeta {
    harnessProductPath?: { path: string; streams: number; tokensPerSec: number; peakRssMb: number; loopP50Ms: number; loopP99Ms: number; samples: number[] }
  }
}

const TOKENS = Number(process.env.PRODUCT_PATH_TOKENS ?? 512)
const REQUESTS = Number(process.env.PRODUCT_PATH_REQUESTS ?? 1024)
const STREAMS = [1, 64, 256]
const OPTS = { iterations: 3, time: 0, warmupIterations: 1, warmupTime: 0 }

let sim: SimRef
let dir = ''
interface Row {
  name: string
  streams: number
  rate: number[]
  rss: number[]
  loopP50: number[]
  loopP99: number[]
}
const rows: Row[] = []
const median = (xs: number[]) =>
  xs.length
    ? quantileSorted(
        [...xs].sort((a, b) => a - b),
        0.5,
      )
    : NaN

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fuze-product-path-'))
  process.env.FUZE_RUN_DIR = dir
  sim = await simRef({ precompute: true, ttftMs: 0, perPromptTokenMs: 0, itlMs: 0, itlJitterMs: 0, maxSeqs: 1024, maxQueue: 4096 })
}, 60_000)

afterAll(async () => {
  await sim?.close()
  rmSync(dir, { recursive: true, force: true })
  console.log(`\nproduct path (${TOKENS} tokens/request, ${REQUESTS} requests/iteration, zero-delay simulator in its own process)`)
  console.log('path                                   streams   tokens/s (median)   min .. max               peak RSS MB   loop p50 / p99 ms')
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US')
  for (const r of rows) {
    if (r.rate.length === 0) continue
    const s = [...r.rate].sort((a, b) => a - b)
    console.log(
      `${r.name.padEnd(38)}${String(r.streams).padStart(8)}   ${fmt(median(s)).padStart(17)}   ${`${fmt(s[0])} .. ${fmt(s.at(-1)!)}`.padStart(22)}   ${median(r.rss).toFixed(0).padStart(11)}   ${
        r.loopP50.length ? `${median(r.loopP50).toFixed(2)} / ${median(r.loopP99).toFixed(2)}` : '-'
      }`,
    )
  }
})

/** Peak RSS while `fn` runs (sampled every 20 ms), in MB. */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ value: T; peakMb: number }> {
  let peak = process.memoryUsage.rss()
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20)
  try {
    const value = await fn()
    return { value, peakMb: Math.max(peak, process.memoryUsage.rss()) / 2 ** 20 }
  } finally {
    clearInterval(timer)
  }
}

type Measure = () => Promise<{ tokens: number; ms: number; loop?: { p50Ms: number; p99Ms: number } }>

function record(name: string, streams: number, fn: Measure): void {
  const row: Row = { name, streams, rate: [], rss: [], loopP50: [], loopP99: [] }
  rows.push(row)
  let phase = 'run'
  let meta: TaskMeta | undefined
  bench(
    `${name}, ${streams} streams`,
    async () => {
      const { value: m, peakMb } = await withPeakRss(() =>
        fn().catch((e: unknown) => {
          console.error(`product-path bench "${name}, ${streams} streams" failed: ${(e as Error).message}`)
          throw e
        }),
      )
      if (phase !== 'run') return
      row.rate.push((m.tokens * 1000) / m.ms)
      row.rss.push(peakMb)
      if (m.loop) {
        row.loopP50.push(m.loop.p50Ms)
        row.loopP99.push(m.loop.p99Ms)
      }
      if (meta)
        meta.harnessProductPath = {
          path: name,
          streams,
          tokensPerSec: median(row.rate),
          peakRssMb: median(row.rss),
          loopP50Ms: median(row.loopP50),
          loopP99Ms: median(row.loopP99),
          samples: [...row.rate],
        }
    },
    { ...OPTS, setup: (_t, mode) => void (phase = mode) },
  )
  const task = TestRunner.getCurrentSuite().tasks.at(-1)
  meta = task && 'meta' in task ? task.meta : undefined
}

let seq = 0
describe('harness product path', () => {
  for (const streams of STREAMS) {
    record('llmBench load case (product path)', streams, async () => {
      const opts = { concurrency: streams, requests: REQUESTS, warmup: 0, numPredict: TOKENS }
      // one stream is not a load case for planLevels (llmBench runs it sequentially): the same closed loop, by hand
      const level = planLevels(opts, getKnobs())?.[0] ?? {
        suffix: '',
        shape: { mode: 'closed' as const, concurrency: 1 },
        bounds: { count: REQUESTS },
        trials: 1,
      }
      const meta = await runLoadCase(sim.server, opts, level, { caseName: `pp-${seq}`, fullName: `product path ${seq++}`, file: 'product-path.bench.ts' })
      const s = meta.summary
      if (s.counts.ok !== REQUESTS || s.outputTokensClientTotal !== REQUESTS * TOKENS)
        throw new Error(
          `product path: ${s.counts.ok}/${REQUESTS} ok, ${s.outputTokensClientTotal} tokens (expected ${REQUESTS * TOKENS}): ${s.failures.join('; ')}`,
        )
      return { tokens: s.outputTokensClientTotal, ms: s.wallMs, loop: { p50Ms: s.clientHealth!.loopDelayP50Ms, p99Ms: s.clientHealth!.loopDelayP99Ms } }
    })
  }
  let pool: Pool | undefined
  record('naive undici loop (reference)', 64, async () => {
    pool ??= new Pool(sim.url)
    const body = JSON.stringify({ prompt: 'x', max_tokens: TOKENS, stream: true, ignore_eos: true, stream_options: { include_usage: true } })
    let next = 0
    let tokens = 0
    const t0 = performance.now()
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next++ < REQUESTS) {
          const n = (await naiveStream(pool!, body, `naive-${seq++}`)).times.length
          tokens += n
        }
      }),
    )
    return { tokens, ms: performance.now() - t0 }
  })
})
