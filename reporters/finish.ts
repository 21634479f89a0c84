// End of a bench run: hand the run folder to finalizeRun (summary.csv, aggregate, best-of, summaries, gate, HTML),
// with the effective knobs (environment + BENCH_ENV_FILE files + flags), not just process.env.
import { effectiveEnv, getKnobs } from '../env/index.ts'
import { finalizeRun } from './finalize.ts'
import type { FinishHook } from './fuze-reporter.ts'

export const finishRun: FinishHook = async ({ runDir, resultsDir, print }) => {
  const k = getKnobs()
  return finalizeRun({
    runDir,
    resultsDir,
    baseline: k.BENCH_BASELINE,
    baselineRuns: k.BENCH_BASELINE_RUNS,
    updateBaseline: k.BENCH_UPDATE_BASELINE,
    allowClientBound: k.BENCH_ALLOW_CLIENT_BOUND,
    junitPath: k.BENCH_JUNIT,
    env: { ...process.env, ...effectiveEnv(k) },
    print,
  })
}
