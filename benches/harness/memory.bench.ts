// Memory of one long case: MEMORY_REQUESTS (default 1,000,000) requests through the product path (llmBench's load
// case: CaseRun, accumulators, the buffered requests.jsonl writer) at 64 streams against a zero-delay simulator in
// its own process, short outputs (MEMORY_TOKENS, default 16). Peak RSS is sampled every 100 ms and reported at 10k,
// 100k and 1M finished requests. Target: ≤ 300 MB, and flat after warm-up (10× more requests use ≤ 10% more).
import { join } from 'node:path'
import { describe } from 'vitest'
import { activeCase } from '../../helpers/case-runner.ts'
import { forEachLineBytes } from '../../reporters/jsonl-lines.ts'
import { harnessBench, productPathCase, RssSampler, zeroDelaySim } from './kit.ts'

declare module 'vitest' {
  interface TaskMeta {
    harnessMemory?: { requests: number; checkpoints: Checkpoint[]; jsonlLines: number }
  }
}

interface Checkpoint {
  requests: number
  peakRssMb: number
  atS: number
}

const REQUESTS = Number(process.env.MEMORY_REQUESTS ?? 1_000_000)
const TOKENS = Number(process.env.MEMORY_TOKENS ?? 16)
const CHECKPOINTS = [10_000, 100_000, 1_000_000, 10_000_000].filter((n) => n < REQUESTS)

const rows: Checkpoint[] = []

const h = zeroDelaySim('memory', () => {
  console.log(`\nmemory of one case (${REQUESTS.toLocaleString('en-US')} requests × ${TOKENS} tokens, 64 streams, zero-delay simulator)`)
  console.log('finished requests   peak RSS MB   elapsed s')
  for (const r of rows)
    console.log(`${r.requests.toLocaleString('en-US').padStart(17)}   ${r.peakRssMb.toFixed(0).padStart(11)}   ${r.atS.toFixed(0).padStart(9)}`)
})

describe('harness memory', () => {
  harnessBench(
    `one case of ${REQUESTS} requests`,
    async () => {
      const t0 = performance.now()
      let next = 0
      // a checkpoint records the peak so far once the running case has passed it
      const rss = new RssSampler(100, () => {
        const done = activeCase()?.acc.measured ?? 0
        while (next < CHECKPOINTS.length && done >= CHECKPOINTS[next]) {
          const row = { requests: CHECKPOINTS[next++], peakRssMb: rss.peakMb, atS: (performance.now() - t0) / 1000 }
          rows.push(row)
          // as it happens too: a run stopped early still tells what it measured
          console.log(`memory: ${row.requests.toLocaleString('en-US')} requests finished, peak RSS ${row.peakRssMb.toFixed(0)} MB, ${row.atS.toFixed(0)} s`)
        }
      }).start()
      try {
        const meta = await productPathCase(
          h.sim.server,
          { streams: 64, requests: REQUESTS, tokens: TOKENS },
          { caseName: 'memory', fullName: 'memory', file: 'memory.bench.ts' },
        )
        rows.push({ requests: REQUESTS, peakRssMb: rss.stop(), atS: (performance.now() - t0) / 1000 })
        if (meta.summary.counts.ok !== REQUESTS)
          throw new Error(`memory bench: ${meta.summary.counts.ok}/${REQUESTS} ok: ${meta.summary.failures.map((f) => f.message).join('; ')}`)
        let measured = 0
        forEachLineBytes(join(h.dir, 'requests.jsonl'), () => void measured++)
        if (measured !== REQUESTS) throw new Error(`memory bench: requests.jsonl has ${measured} lines, expected ${REQUESTS}: records were lost`)
        return measured
      } finally {
        rss.stop()
      }
    },
    (lines, meta) => {
      if (meta) meta.harnessMemory = { requests: REQUESTS, checkpoints: rows, jsonlLines: lines }
    },
    { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
  )
})
