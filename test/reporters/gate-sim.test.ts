// The gate end to end on a real bench run: `vitest bench --project openai` against the simulator as its own
// process, a baseline of earlier runs from the results folder (BENCH_BASELINE=<results folder>), then the
// same suite unchanged (passes) and against a simulator whose ITL went from 5 ms to 6.5 ms (fails, naming
// the metric). Exit codes and lines are what a CI job sees.
import { afterAll, describe, expect, it } from 'vitest'
import { startSimProcess, type SimProcess } from '../../benches/harness/sim-process.ts'
import { listRunDirs } from '../../reporters/run-data.ts'
import { startBench, tempResults } from '../support/run-bench.ts'

const SIM = ['--protocol', 'openai', '--ttft-ms', '30', '--per-prompt-token-ms', '0', '--itl-jitter-ms', '0.3']
const sims: SimProcess[] = []
afterAll(async () => {
  for (const s of sims) await s.stop()
})

async function suite(itlMs: number, resultsDir: string, env: Record<string, string> = {}) {
  const sim = await startSimProcess([...SIM, '--itl-ms', String(itlMs), '--models', 'sim-gate'])
  sims.push(sim)
  try {
    const run = startBench(
      ['--project', 'openai'],
      {
        OPENAI_URL: sim.url,
        BENCH_WARMUP: '1',
        BENCH_REQUESTS: '10',
        BENCH_NUM_PREDICT: '24',
        // the gate is under test, not the machine: a loaded CI box must not turn this into a client-bound failure
        BENCH_ALLOW_CLIENT_BOUND: '1',
        ...env,
      },
      resultsDir,
    )
    const r = await run.child
    return { code: r.exitCode, out: r.all ?? '' }
  } finally {
    await sim.stop()
  }
}

describe('gate on real simulator runs', () => {
  const results = tempResults('fuze-gate-sim-')

  it('an unchanged simulator exits 0 against 2 earlier runs; ITL 5 → 6.5 ms fails with a regression line naming the metric, and is no silent PASS against 1 run', async () => {
    for (let i = 0; i < 2; i++) expect((await suite(5, results)).code).toBe(0)
    const first = listRunDirs(results)[0]
    const same = await suite(5, results, { BENCH_BASELINE: results })
    expect(same.code, same.out).toBe(0)
    // PASS, or INCONCLUSIVE where two runs cannot bound a metric inside its threshold: never a FAIL
    expect(same.out).toMatch(/== Gate: (PASS|INCONCLUSIVE) against baseline 'last 3 runs of [^']+' \(.*, 2 runs: /)
    const slower = await suite(6.5, results, { BENCH_BASELINE: results })
    expect(slower.code, slower.out).toBe(1)
    expect(slower.out).toContain('== Gate: FAIL')
    // TPOT (and E2E with it) rise ~30%, tok/s drops ~23%: each regression line names the metric, the change and its evidence
    expect(slower.out).toMatch(
      /FAIL .*sim-gate on openai > chat short prompt: (TPOT p50 ms regressed \+|E2E p50 ms regressed \+|tok\/s \(median\) regressed -)\d+\.\d% \(baseline [\d.]+, now [\d.]+, threshold 10%, adj\. p=[^;]+; noise ±[\d.]+%\/run, 3 baseline runs\)\)/,
    )
    // against one run the drift cannot be told from the change: INCONCLUSIVE (exit 0, a warning) or FAIL, not PASS
    const oneRun = await suite(6.5, tempResults('fuze-gate-sim1-'), { BENCH_BASELINE: first })
    expect(oneRun.out).toMatch(/== Gate: (INCONCLUSIVE|FAIL) against baseline/)
    expect(oneRun.out).not.toContain('== Gate: PASS')
    if (oneRun.out.includes('== Gate: INCONCLUSIVE')) {
      expect(oneRun.code, oneRun.out).toBe(0)
      expect(oneRun.out).toMatch(/Inconclusive \(cannot exclude a change past the threshold\):/)
      // a per-token metric among the undecided rows, its change and the worst change the evidence admits
      expect(oneRun.out).toMatch(/(TPOT p50 ms|E2E p50 ms|tok\/s \(median\))\s+[\d.]+\s+[\d.]+\s+[+-]\d+\.\d%\s+\d+\.\d% worse/)
    } else expect(oneRun.code, oneRun.out).toBe(1)
  }, 400_000)
})
