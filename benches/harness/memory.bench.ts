// Memory of one long case: MEMORY_REQUESTS (default 1,000,000) requests through the product path (llmBench's load
// case: CaseRun, accumulators, the buffered requests.jsonl writer) at 64 streams against a zero-delay simulator in
// its own process, short outputs (MEMORY_TOKENS, default 16). Peak RSS is sampled every 100 ms and reported at 10k,
// 100k and 1M finished requests. Target: ≤ 300 MB, and flat after warm-up (10× more requests use ≤ 10% more).
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, bench, describe, TestRunner } from 'vitest'
import { getKnobs } from '../../env/index.ts'
import { activeCase } from '../../helpers/case-runner.ts'
import { planLevels } from '../../helpers/load/plan.ts'
import { runLoadCase } from '../../helpers/load/run-load.ts'
import { simRef, type SimRef } from '../../test/load/sim-ref.ts'

declare module 'vitest' {
  interface TaskMeta {
    harnessMemory?: { requests: number; checkpoints: { requests: number; peakRssMb: number; atS: number }[]; jsonlLines: number }
  }
}

const REQUESTS = Number(process.env.MEMORY_REQUESTS ?? 1_000_000)
const TOKENS = Number(process.env.MEMORY_TOKENS ?? 16)
const CHECKPOINTS = [10_000, 100_000, 1_000_000, 10_000_000].filter((n) => n <= REQUESTS)

let sim: SimRef
let dir = ''
const rows: { requests: number; peakRssMb: number; atS: number }[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fuze-memory-'))
  process.env.FUZE_RUN_DIR = dir
  sim = await simRef({ precompute: true, ttftMs: 0, perPromptTokenMs: 0, itlMs: 0, itlJitterMs: 0, maxSeqs: 1024, maxQueue: 4096 })
}, 60_000)

afterAll(async () => {
  await sim?.close()
  rmSync(dir, { recursive: true, force: true })
  console.log(`\nmemory of one case (${REQUESTS.toLocaleString('en-US')} requests × ${TOKENS} tokens, 64 streams, zero-delay simulator)`)
  console.log('finished requests   peak RSS MB   elapsed s')
  for (const r of rows)
    console.log(`${r.requests.toLocaleString('en-US').padStart(17)}   ${r.peakRssMb.toFixed(0).padStart(11)}   ${r.atS.toFixed(0).padStart(9)}`)
})

describe('harness memory', () => {
  bench(
    `one case of ${REQUESTS} requests`,
    async () => {
      const t0 = performance.now()
      let peak = 0
      let next = 0
      // sample RSS and how far the running case is; a checkpoint records the peak so far once it is passed
      const timer = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage.rss())
        const done = activeCase()?.acc.measured ?? 0
        while (next < CHECKPOINTS.length && done >= CHECKPOINTS[next] && CHECKPOINTS[next] < REQUESTS)
          rows.push({ requests: CHECKPOINTS[next++], peakRssMb: peak / 2 ** 20, atS: (performance.now() - t0) / 1000 })
      }, 100)
      try {
        const opts = { concurrency: 64, requests: REQUESTS, warmup: 0, numPredict: TOKENS }
        const meta = await runLoadCase(sim.server, opts, planLevels(opts, getKnobs())![0], { caseName: 'memory', fullName: 'memory', file: 'memory.bench.ts' })
        peak = Math.max(peak, process.memoryUsage.rss())
        rows.push({ requests: REQUESTS, peakRssMb: peak / 2 ** 20, atS: (performance.now() - t0) / 1000 })
        if (meta.summary.counts.ok !== REQUESTS) throw new Error(`memory bench: ${meta.summary.counts.ok}/${REQUESTS} ok: ${meta.summary.failures.join('; ')}`)
        const size = statSync(join(dir, 'requests.jsonl')).size
        const task = TestRunner.getCurrentSuite().tasks.at(-1)
        if (task && 'meta' in task) task.meta.harnessMemory = { requests: REQUESTS, checkpoints: rows, jsonlLines: size }
      } finally {
        clearInterval(timer)
      }
    },
    { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
  )
})
