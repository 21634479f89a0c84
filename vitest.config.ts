// One bench project per stack (+ sim, harness) and a `unit` test project. docs/design.md "Verified vitest 4.1 bench mechanics".
import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'
import { BenchConsoleReporter } from './reporters/bench-console.ts'
import { FuzeReporter } from './reporters/fuze-reporter.ts'
import { finishRun } from './reporters/finish.ts'
import { benchPreflight } from './reporters/bench-preflight.ts'
import { STACK_NAMES } from './fixtures/stacks/index.ts'

// every stack of the registry, plus the harness measuring itself
const BENCH_PROJECTS = [...STACK_NAMES, 'harness', 'peers']
const TIMING_TESTS = ['test/load/sim-accuracy.test.ts']
const benchMode = process.argv.slice(2).includes('bench')

if (benchMode) {
  // Specs share one machine (and GPU): one file at a time. VITEST_MAX_WORKERS would override that.
  delete process.env.VITEST_MAX_WORKERS
  // Bad knobs stop the run here, before any server starts, with every bad value named.
  benchPreflight()
} else {
  // The tests run real servers and check timings: more test files at once than spare cores makes them wait on each
  // other (VITEST_MAX_WORKERS=4 on 2 cores failed 3 timing-sensitive tests of npm test). Clamp it, and say so.
  const spare = Math.max(1, availableParallelism() - 1)
  const asked = process.env.VITEST_MAX_WORKERS
  const n = asked?.endsWith('%') ? Math.floor((availableParallelism() * Number(asked.slice(0, -1))) / 100) : Number(asked)
  if (asked !== undefined && n > spare) {
    console.log(`fuze-bench: VITEST_MAX_WORKERS=${asked} is more than this machine's ${spare} spare core(s); the tests run ${spare} file(s) at a time.`)
    process.env.VITEST_MAX_WORKERS = String(spare)
  }
}

// Options every project shares. Projects spell them out instead of `extends: true`: with `extends`, vitest loads this
// file again for every project — filtered-out ones included — so the main process bundled and evaluated it (and
// everything it imports) 13 times, ~100 MB of its peak RSS.
const PROJECT = { pool: 'forks' as const, fileParallelism: benchMode ? false : undefined }

export default defineConfig({
  test: {
    pool: 'forks',
    // a benchmark runs once and exits (a watch loop would re-run GPU benchmarks on every file save)
    watch: benchMode ? false : undefined,
    fileParallelism: benchMode ? false : undefined,
    maxWorkers: benchMode ? 1 : undefined,
    benchmark: {
      reporters: [new BenchConsoleReporter(), new FuzeReporter({ finish: finishRun })],
    },
    projects: [
      {
        test: {
          ...PROJECT,
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: TIMING_TESTS,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // tests that compare measured timing with a known truth: one file at a time, nothing else competing for the CPU
        test: {
          ...PROJECT,
          name: 'timing',
          include: TIMING_TESTS,
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
      ...BENCH_PROJECTS.map((name) => ({
        test: {
          ...PROJECT,
          name,
          benchmark: { include: [`benches/${name}/**/*.bench.ts`] },
          globalSetup: ['fixtures/global-setup.ts'],
        },
      })),
    ],
  },
})
