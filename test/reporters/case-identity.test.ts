// Two cases of one name in one spec file — an each-served-model spec against a server with two models — are two
// cases everywhere requests.jsonl is read: the gate's samples, the report's timeline and distributions, compare's
// overlaid distributions. Each case gets its own requests, sized to its own counts, never the other model's.
import { afterAll, describe, expect, it } from 'vitest'
import { caseKey } from '../../core/case-key.ts'
import { caseSamples } from '../../reporters/compare.ts'
import { caseMetrics } from '../../reporters/gate.ts'
import { reportData } from '../../reporters/html.ts'
import { caseRequests, loadRun } from '../../reporters/run-data.ts'
import { startSim, type SimHandle } from '../../sim/index.ts'
import { onlyRunDir, startBench } from '../support/run-bench.ts'
import { barePath, expectFlowPassed, QUICK } from '../stacks/support.ts'

let sim: SimHandle | undefined
afterAll(async () => {
  await sim?.close()
})

describe('one case key (file + full name)', () => {
  it('keeps the requests of two same-name cases of one file apart in the gate, report and compare', async () => {
    sim = await startSim({ protocol: 'openai', models: ['model-a', 'model-b'], itlMs: 1 })
    const run = startBench(['--project', 'openai', 'each-model'], { ...QUICK, BENCH_REQUESTS: '3', PATH: barePath(), OPENAI_URL: sim.url })
    expectFlowPassed(await run.child)
    const data = loadRun(onlyRunDir(run.resultsDir))
    const cases = data.summary!.cases
    // the premise: one file, one short name, two models
    expect(cases.map((c) => [c.file, c.summary.caseName, c.model])).toEqual([
      ['benches/openai/each-model.bench.ts', 'chat short prompt', 'model-a'],
      ['benches/openai/each-model.bench.ts', 'chat short prompt', 'model-b'],
    ])
    expect(new Set(cases.map(caseKey)).size).toBe(2)

    const report = reportData(data, null)
    const ids = new Set<string>()
    for (const [i, c] of cases.entries()) {
      const own = caseRequests(data, c)
      expect(own).toHaveLength(3)
      for (const r of own) {
        expect(r.case).toBe(c.fullName)
        ids.add(r.id)
      }
      // gate: the samples its tests run on
      expect(caseMetrics(data, c).samples.ttftMs).toHaveLength(3)
      // report.html: timeline rows and the TTFT distribution of this case only
      expect(report.cases[i].key).toBe(caseKey(c))
      expect(report.cases[i].timeline).toHaveLength(3)
      expect(report.cases[i].ttftCdf.length).toBeLessThanOrEqual(3)
      // compare: the overlaid distributions of this case
      expect(caseSamples({ tag: 'A', id: data.runId, path: data.dir, run: data, baseline: null }, caseKey(c))?.ttft).toHaveLength(3)
    }
    // six different requests, three per case
    expect(ids.size).toBe(6)
  })
})
