import { join } from 'node:path'
import { Pool } from 'undici'
import { which } from '../../fixtures/which.ts'
import { runFuzeBench } from '../peers/fuze-bench.ts'
import { describe } from 'vitest'
import { drive, fmtInt, harnessBench, median, productPathCase, withPeakRss, zeroDelaySim } from './kit.ts'
import { naiveStream } from './naive-client.ts'

declare module 'vitest' {
  interface TaskMeta {
    harnessProductPath?: {
      path: string
      streams: number
      tokensPerSec: number
      tokensPerCpuSec: number
      peakRssMb: number
      loopP50Ms: number
      loopP99Ms: number
      samples: number[]
    }
  }
}

const TOKENS = Number(process.env.PRODUCT_PATH_TOKENS ?? 512)
const REQUESTS = Number(process.env.PRODUCT_PATH_REQUESTS ?? 1024)
const STREAMS = (process.env.PRODUCT_PATH_STREAMS ?? '1,64,256').split(',').map(Number)
/** Output tokens/s of the open-loop row: half the 1 M target by default (PRODUCT_PATH_HALF_LOAD). */
const HALF_LOAD = Number(process.env.PRODUCT_PATH_HALF_LOAD ?? 500_000)

interface Row {
  name: string
  streams: number
  rate: number[]
  perCpu: number[]
  rss: number[]
  loopP50: number[]
  loopP99: number[]
}
const rows: Row[] = []

const h = zeroDelaySim('product-path', () => {
  console.log(`\nproduct path (${TOKENS} tokens/request, ${REQUESTS} requests/iteration, zero-delay simulator in its own process)`)
  console.log(
    'path                                   streams   tokens/s (median)   min .. max               tok/client CPU-s   peak RSS MB   loop p50 / p99 ms',
  )
  for (const r of rows) {
    if (r.rate.length === 0) continue
    const s = [...r.rate].sort((a, b) => a - b)
    console.log(
      `${r.name.padEnd(38)}${String(r.streams).padStart(8)}   ${fmtInt(median(s)).padStart(17)}   ${`${fmtInt(s[0])} .. ${fmtInt(s.at(-1)!)}`.padStart(22)}   ${fmtInt(median(r.perCpu)).padStart(16)}   ${(r.rss.length ? median(r.rss).toFixed(0) : '-').padStart(11)}   ${
        r.loopP50.length ? `${median(r.loopP50).toFixed(2)} / ${median(r.loopP99).toFixed(2)}` : '-'
      }`,
    )
  }
})

interface Measured {
  tokens: number
  ms: number
  loop?: { p50Ms: number; p99Ms: number }
  /** Measured in a child process (the user's command): its whole tree's CPU, not this worker's; no RSS of ours. */
  child?: { cpuS: number }
}

function record(name: string, streams: number, fn: () => Promise<Measured>): void {
  const row: Row = { name, streams, rate: [], perCpu: [], rss: [], loopP50: [], loopP99: [] }
  rows.push(row)
  harnessBench(
    `${name}, ${streams} streams`,
    async () => {
      const cpu0 = process.cpuUsage()
      const { value, peakMb } = await withPeakRss(fn)
      const cpu = process.cpuUsage(cpu0)
      return { ...value, peakMb: value.child ? Number.NaN : peakMb, cpuS: value.child?.cpuS ?? (cpu.user + cpu.system) / 1e6 }
    },
    (m, meta) => {
      row.rate.push((m.tokens * 1000) / m.ms)
      row.perCpu.push(m.tokens / m.cpuS)
      if (Number.isFinite(m.peakMb)) row.rss.push(m.peakMb)
      if (m.loop) {
        row.loopP50.push(m.loop.p50Ms)
        row.loopP99.push(m.loop.p99Ms)
      }
      if (meta)
        meta.harnessProductPath = {
          path: name,
          streams,
          tokensPerSec: median(row.rate),
          tokensPerCpuSec: median(row.perCpu),
          peakRssMb: row.rss.length ? median(row.rss) : Number.NaN,
          loopP50Ms: median(row.loopP50),
          loopP99Ms: median(row.loopP99),
          samples: [...row.rate],
        }
    },
  )
}

let seq = 0
describe('harness product path', () => {
  for (const streams of STREAMS) {
    record('llmBench load case (product path)', streams, async () => {
      const meta = await productPathCase(
        h.sim.server,
        { streams, requests: REQUESTS, tokens: TOKENS },
        { caseName: `pp-${seq}`, fullName: `product path ${seq++}`, file: 'product-path.bench.ts' },
      )
      const s = meta.summary
      if (s.counts.ok !== REQUESTS || s.outputTokensClientTotal !== REQUESTS * TOKENS)
        throw new Error(
          `product path: ${s.counts.ok}/${REQUESTS} ok, ${s.outputTokensClientTotal} tokens (expected ${REQUESTS * TOKENS}): ${s.failures.map((f) => f.message).join('; ')}`,
        )
      return { tokens: s.outputTokensClientTotal, ms: s.wallMs, loop: { p50Ms: s.clientHealth!.loopDelayP50Ms, p99Ms: s.clientHealth!.loopDelayP99Ms } }
    })
  }
  // the same 64 streams the way a user reads a server: `npx vitest bench --project vllm` against its URL, a child
  // process with its own results folder (benches/peers/fuze-bench.ts, the peers bench's fuze-bench row); tok/s is
  // the output tok/s its summary.json reports, CPU its whole process tree's (vitest's start-up included)
  record('npx vitest bench --project vllm (user path)', 64, async () => {
    const python = which('python3')
    if (!python) throw new Error('product path, user path: python3 is not on PATH (benches/peers/rusage.py measures the child CPU)')
    const s = { id: 'product-path', streams: 64, requests: REQUESTS, inputTokens: 32, outputTokens: TOKENS }
    const run = await runFuzeBench(python, s, h.sim.url, join(h.dir, `user-path-${seq++}`), { project: 'vllm', urlKnob: 'VLLM_URL' })
    const ok = run.result.requests.filter((r) => r.ok)
    const tokens = ok.reduce((n, r) => n + (r.outputTokens ?? 0), 0)
    const tput = run.result.reported.outputTokPerSec
    if (ok.length !== REQUESTS || tokens !== REQUESTS * TOKENS || !tput)
      throw new Error(`product path, user path: ${ok.length}/${REQUESTS} ok, ${tokens} tokens (expected ${REQUESTS * TOKENS}), see ${run.result.source}`)
    return { tokens, ms: (tokens / tput) * 1000, child: { cpuS: run.cpuS } }
  })
  // half the target load, open loop: what the event loop looks like when the client is not saturated (target p99 ≤ 5 ms)
  record(`llmBench open loop at ${fmtInt(HALF_LOAD)} tok/s`, 64, async () => {
    const rate = HALF_LOAD / TOKENS
    const meta = await productPathCase(
      h.sim.server,
      { streams: 64, requests: REQUESTS * 2, tokens: TOKENS, rate },
      { caseName: `pp-${seq}`, fullName: `product path ${seq++}`, file: 'product-path.bench.ts' },
    )
    const s = meta.summary
    if (s.counts.ok !== REQUESTS * 2)
      throw new Error(`product path, open loop: ${s.counts.ok}/${REQUESTS * 2} ok: ${s.failures.map((f) => f.message).join('; ')}`)
    return { tokens: s.outputTokensClientTotal, ms: s.wallMs, loop: { p50Ms: s.clientHealth!.loopDelayP50Ms, p99Ms: s.clientHealth!.loopDelayP99Ms } }
  })
  // the same client with nothing of the product around it (ingest.bench.ts's row): what the product path costs
  record('bare client (openai-completions)', 64, () =>
    drive(64, REQUESTS, REQUESTS * TOKENS, async (requestId) => {
      const obs = await h.sim.server
        .client('openai-completions')
        .generate({ prompt: 'x', maxTokens: TOKENS, temperature: 0, ignoreEos: true, timeoutMs: 60_000, requestId })
      if (obs.outcome !== 'ok') throw new Error(`bare client: request ${requestId} ended ${obs.outcome}: ${obs.error}`)
      return obs.chunkTimes.length
    }),
  )
  let pool: Pool | undefined
  record('naive undici loop (reference)', 64, () => {
    pool ??= new Pool(h.sim.url)
    const body = JSON.stringify({ prompt: 'x', max_tokens: TOKENS, stream: true, ignore_eos: true, stream_options: { include_usage: true } })
    return drive(64, REQUESTS, REQUESTS * TOKENS, async (id) => (await naiveStream(pool!, body, id)).times.length)
  })
})
