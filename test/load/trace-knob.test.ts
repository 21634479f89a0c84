// BENCH_TRACE=<file> turns a spec's cases into replays of that trace, as a user runs it: every case of the spec
// replays the trace's first BENCH_TRACE_LIMIT requests at BENCH_TRACE_TIME_SCALE, and its summary says so.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { onlyRunDir, ROOT, startBench } from '../support/run-bench.ts'
import { expectFlowPassed } from '../stacks/support.ts'

it('BENCH_TRACE replays the trace in every case of a spec, limited and scaled by its knobs', async () => {
  const file = join(ROOT, 'benches', 'sim', 'traces', 'sample-100.jsonl')
  const run = startBench(['--project', 'sim', 'openai.bench'], {
    BENCH_TRACE: file,
    BENCH_TRACE_LIMIT: '6',
    BENCH_TRACE_TIME_SCALE: '0.5',
    BENCH_TRACE_MAX_OUTPUT_TOKENS: '8',
    BENCH_ALLOW_CLIENT_BOUND: '1',
  })
  const r = await run.child
  expectFlowPassed(r)
  const summary = JSON.parse(readFileSync(join(onlyRunDir(run.resultsDir), 'summary.json'), 'utf8'))
  const cases = summary.cases as Array<{ fullName: string; summary: { counts: { requests: number }; workload: { trace: Record<string, unknown> } } }>
  expect(cases.map((c) => c.fullName)).toEqual(['sim-model on sim (openai) > completions', 'sim-model on sim (openai) > chat'])
  for (const c of cases) {
    expect(c.summary.counts.requests).toBe(6)
    expect(c.summary.workload.trace).toMatchObject({ file, format: 'mooncake-jsonl', requests: 6, timeScale: 0.5 })
    // outputs of 16, 21, 5, 5, 6, 17 tokens: three are clamped to 8
    expect(c.summary.workload.trace.clamped).toBe(3)
  }
})
