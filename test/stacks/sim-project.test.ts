// `vitest bench --project sim`: every protocol end to end against the simulator as a real process.
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { RunSummaryJson } from '../../reporters/run-data.ts'
import { freePort } from '../../fixtures/ports.ts'
import { waitGone } from '../support/procs.ts'
import { onlyRunDir, startBench } from '../support/run-bench.ts'
import { csvRows, expectFlowPassed } from './support.ts'

describe('the sim bench project', () => {
  it('runs openai (completions, chat), ollama (generate, chat), llamacpp, tgi and triton and writes a row each', async () => {
    const port = String(await freePort())
    // the capacity and workload specs run searches and traces: they have their own runs (see the workloads note)
    const run = startBench(['--project', 'sim', '-t', '^(?!.*(capacity|workloads on sim))'], {
      BENCH_WARMUP: '1',
      BENCH_REQUESTS: '2',
      BENCH_NUM_PREDICT: '8',
      PORT_A: port,
      BENCH_ALLOW_CLIENT_BOUND: '1',
    })
    const r = await run.child
    expectFlowPassed(r)
    const rows = csvRows(onlyRunDir(run.resultsDir))
    expect(rows).toHaveLength(7)
    for (const row of rows) {
      expect(row).toMatchObject({
        endpoint: `127.0.0.1:${port}`,
        unit: 'proc',
        base_model: 'sim-model',
        model_tag: 'sim-model',
        variant_label: 'base-as-is',
        num_predict: '8',
      })
      expect(Number(row.tokens_per_sec)).toBeGreaterThan(0)
    }
    for (const p of ['openai', 'ollama', 'llamacpp', 'tgi', 'triton']) expect(r.all).toContain(`sim-model on sim (${p})`)
    // the simulator computes nothing: with a core to spare, each case keeps its loop turning while it measures
    const sum = JSON.parse(readFileSync(join(onlyRunDir(run.resultsDir), 'summary.json'), 'utf8')) as RunSummaryJson
    expect(sum.cases).toHaveLength(7)
    for (const c of sum.cases)
      expect(c.summary.sections?.busyPoll, c.fullName).toEqual(
        availableParallelism() > 1
          ? { processes: 1, why: `auto: the server does not compute on this CPU, ${availableParallelism()} cores for 1 polling process(es)` }
          : undefined,
      )
    expect(await waitGone(`--port ${port}`)).toEqual([])
  })
})
