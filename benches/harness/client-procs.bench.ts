import { describe } from 'vitest'
import { getKnobs } from '../../env/index.ts'
import { runProcsCase } from '../../helpers/load/client-procs.ts'
import { planLevels } from '../../helpers/load/plan.ts'
import { fmtInt, harnessBench, median, productPathCase, zeroDelaySim } from './kit.ts'

const TOKENS = Number(process.env.CLIENT_PROCS_TOKENS ?? 256)
const REQUESTS = Number(process.env.CLIENT_PROCS_REQUESTS ?? 2048)
const STREAMS = Number(process.env.CLIENT_PROCS_STREAMS ?? 64)

const rows = new Map<number, { tokS: number[]; cpuUsPerTok: number[]; loopP99: number[] }>()

const h = zeroDelaySim('client-procs', () => {
  console.log(`\nclient processes (${STREAMS} streams, ${REQUESTS} requests × ${TOKENS} tokens, zero-delay simulator in its own process)`)
  console.log('client processes   output tok/s (median)   client CPU µs / token   loop p99 ms (busiest process)')
  for (const [procs, r] of rows)
    console.log(
      `${String(procs).padStart(16)}   ${fmtInt(median(r.tokS)).padStart(21)}   ${median(r.cpuUsPerTok).toFixed(2).padStart(21)}   ${median(r.loopP99).toFixed(2).padStart(10)}`,
    )
})

let seq = 0
describe('harness client processes', () => {
  for (const procs of [1, 2]) {
    const row = { tokS: [] as number[], cpuUsPerTok: [] as number[], loopP99: [] as number[] }
    rows.set(procs, row)
    harnessBench(
      `BENCH_CLIENT_PROCS=${procs}, ${STREAMS} streams`,
      async () => {
        const ident = { caseName: `cp-${seq}`, fullName: `client procs ${seq++}`, file: 'client-procs.bench.ts' }
        const shape = { streams: STREAMS, requests: REQUESTS, tokens: TOKENS }
        const opts = { concurrency: STREAMS, requests: REQUESTS, warmup: 0, numPredict: TOKENS }
        const meta =
          procs === 1
            ? await productPathCase(h.sim.server, shape, ident)
            : await runProcsCase(h.sim.server, opts, planLevels(opts, getKnobs())![0], ident, procs)
        const s = meta.summary
        if (s.counts.ok !== REQUESTS || s.outputTokensClientTotal !== REQUESTS * TOKENS)
          throw new Error(`client procs ${procs}: ${s.counts.ok}/${REQUESTS} ok, ${s.outputTokensClientTotal} tokens (expected ${REQUESTS * TOKENS})`)
        return s
      },
      (s) => {
        const client = s.sections?.client as { cpuUsPerToken: number }
        row.tokS.push((s.outputTokensClientTotal * 1000) / s.wallMs)
        row.cpuUsPerTok.push(client.cpuUsPerToken)
        row.loopP99.push(s.clientHealth?.loopDelayP99Ms ?? Number.NaN)
      },
    )
  }
})
