// The regression gate's own error rates, measured. Real requests to the simulator (its own process, ITL
// jitter on) make a pool of StreamObservations per case; each simulated *run* draws its requests from the
// pool and applies a run-level speed factor (log-normal, sd = the run spread) plus per-request jitter to
// their timestamps, then goes through the real record → summary → gate code (toRecord, summarizeCase,
// baselineFromRuns, runGate). Unchanged runs give the false-alarm rate per run; runs with a true 15% tok/s
// drop and 20% TTFT rise give the detection rate — for 1-run and 3-run baselines.
// Targets: false alarms ≤ 1% of runs; detection ≥ 95% of runs with a 3-run baseline.
//   npx vitest bench --run --project harness -t gate
import { afterAll, beforeAll, bench, describe, TestRunner } from 'vitest'
import { summarizeCase } from '../../helpers/metrics/case.ts'
import { toRecord } from '../../helpers/metrics/request.ts'
import { createClient } from '../../helpers/protocols/index.ts'
import { mulberry32 } from '../../helpers/rng.ts'
import type { RequestRecord, StreamObservation } from '../../helpers/types.ts'
import { baselineFromRuns } from '../../reporters/baseline.ts'
import { runGate } from '../../reporters/gate.ts'
import { groupRequests, type RunCase, type RunData } from '../../reporters/run-data.ts'
import { simRowContext } from '../../test/load/sim-ref.ts'
import { startSimProcess, type SimProcess } from './sim-process.ts'

interface GateErrorRow {
  runSpreadPct: number
  baselineRuns: number
  change: 'none' | 'tok/s −15%, TTFT +20%'
  runs: number
  failed: number
  /** failed / runs, and the upper end of its 95% Wilson interval. */
  ratePct: number
  upper95Pct: number
  /** Runs whose regressions name tok/s or TTFT p50 (the metrics that truly changed). */
  namedPct: number
}

declare module 'vitest' {
  interface TaskMeta {
    harnessGate?: GateErrorRow[]
  }
}

/** The simulated suite: three cases with different shapes, each from its own pool of real requests. */
const CASES = [
  { name: 'decode 24 tokens', prompt: 'hello there', maxTokens: 24 },
  { name: 'decode 48 tokens', prompt: 'tell me a story about a lighthouse keeper', maxTokens: 48 },
  { name: 'prefill long prompt', prompt: 'lorem ipsum dolor sit amet '.repeat(40), maxTokens: 8 },
]
const POOL = 48
const REQUESTS = 10
/** Per-request jitter (log-normal sd) on top of the simulator's own ITL jitter. */
const REQUEST_JITTER = 0.05
const SPREADS = [0.02, 0.05]
const UNCHANGED_RUNS = 1000
const CHANGED_RUNS = 300
const TOK_DROP = 0.85
const TTFT_RISE = 1.2

let sim: SimProcess
const pools: StreamObservation[][] = []
const rows: GateErrorRow[] = []

beforeAll(async () => {
  sim = await startSimProcess([
    '--protocol',
    'openai',
    '--ttft-ms',
    '25',
    '--per-prompt-token-ms',
    '0.1',
    '--itl-ms',
    '4',
    '--itl-jitter-ms',
    '1',
    '--max-seqs',
    '64',
  ])
  const client = createClient('openai-completions', sim.url)
  try {
    for (const c of CASES) {
      const pool: StreamObservation[] = []
      // one at a time, after a few unmeasured requests (connection set-up, JIT): the pool is what a steady client sees
      for (let i = -4; i < POOL; i++) {
        const o = await client.generate({
          prompt: c.prompt,
          maxTokens: c.maxTokens,
          temperature: 0,
          ignoreEos: true,
          timeoutMs: 30_000,
          requestId: `ger-${c.name}-${i}`,
        })
        if (o.outcome !== 'ok') throw new Error(`gate error-rate bench: a pool request ended ${o.outcome}: ${o.error}`)
        if (i >= 0) pool.push(o)
      }
      pools.push(pool)
    }
  } finally {
    await client.close()
  }
}, 120_000)

afterAll(async () => {
  await sim?.stop()
  if (!rows.length) return
  console.log('\ngate error rates (simulated runs from real simulator requests; 3 cases × 8 gated metrics per run)')
  console.log('run spread  baseline  true change              runs  failed   rate    95% upper  named tok/s|TTFT')
  for (const r of rows)
    console.log(
      `${`${(r.runSpreadPct).toFixed(0)}%`.padStart(10)}  ${`${r.baselineRuns} run${r.baselineRuns > 1 ? 's' : ''}`.padEnd(8)}  ${r.change.padEnd(23)} ${String(r.runs).padStart(5)}  ${String(r.failed).padStart(6)}  ${`${r.ratePct.toFixed(1)}%`.padStart(6)}  ${`${r.upper95Pct.toFixed(1)}%`.padStart(9)}  ${`${r.namedPct.toFixed(1)}%`.padStart(8)}`,
    )
})

/** Standard normal draw (Box–Muller) from a seeded uniform source. */
function gauss(rnd: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd())
}

/** The observation as it would look with TTFT × fTtft and every later gap × fDecode (the server slower or faster). */
function stretch(o: StreamObservation, fTtft: number, fDecode: number): StreamObservation {
  const first = o.chunkTimes[0]!
  const firstNew = o.tSend + (first - o.tSend) * fTtft
  const map = (t: number) => firstNew + (t - first) * fDecode
  const s = o.server
  return {
    ...o,
    chunkTimes: o.chunkTimes.map(map),
    tEnd: map(o.tEnd),
    ...(o.tFirstContent !== undefined ? { tFirstContent: map(o.tFirstContent) } : {}),
    server: {
      ...s,
      ...(s.decodeMs !== undefined ? { decodeMs: s.decodeMs * fDecode } : {}),
      ...(s.decodeTokPerSec !== undefined ? { decodeTokPerSec: s.decodeTokPerSec / fDecode } : {}),
    },
  }
}

const ROW = simRowContext({ unit: 'proc', suffix: 'A', numPredict: 24 })

/** One simulated run of the suite: a run-level speed factor, per-request jitter, and the true change if any. */
function simulateRun(runId: string, rnd: () => number, spread: number, changed: boolean): RunData {
  const speed = Math.exp(spread * gauss(rnd))
  const cases: RunCase[] = []
  const requests: RequestRecord[] = []
  CASES.forEach((c, ci) => {
    const pool = pools[ci]!
    const recs: RequestRecord[] = []
    for (let i = 0; i < REQUESTS; i++) {
      const o = pool[Math.floor(rnd() * pool.length)]!
      const j = () => Math.exp(REQUEST_JITTER * gauss(rnd))
      const fTtft = speed * j() * (changed ? TTFT_RISE : 1)
      const fDecode = speed * j() * (changed ? 1 / TOK_DROP : 1)
      recs.push(toRecord(stretch(o, fTtft, fDecode), { id: `${runId}-${ci}-${i}`, caseName: c.name, phase: 'run', caseT0: o.tSend - i * 1000 }))
    }
    const fullName = `benches/sim/gate.bench.ts > sim-model on sim > ${c.name}`
    const summary = summarizeCase({ caseName: c.name, fullName, file: 'benches/sim/gate.bench.ts', stack: 'sim', model: 'sim-model' }, recs)
    cases.push({ fullName, file: 'benches/sim/gate.bench.ts', stack: 'sim', model: 'sim-model', row: ROW, summary, finishedAt: '' })
    requests.push(...recs)
  })
  return {
    dir: runId,
    runId,
    summary: { runId, host: 'sim', startedAt: '', finishedAt: '', incomplete: false, cases, skipped: [] },
    benchRows: [],
    requests: groupRequests(requests),
    warnings: [],
  }
}

/** Upper end of the 95% Wilson score interval of k successes in n. */
function wilsonUpper(k: number, n: number): number {
  const z = 1.96
  const p = k / n
  return ((p + (z * z) / (2 * n) + z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n)) * 100
}

function measure(spread: number, baselineRuns: number, changed: boolean, runs: number): GateErrorRow {
  const rnd = mulberry32(Math.round(spread * 1000) * 100 + baselineRuns * 10 + (changed ? 1 : 0))
  let failed = 0
  let named = 0
  for (let i = 0; i < runs; i++) {
    const base = baselineFromRuns(
      Array.from({ length: baselineRuns }, (_, b) => simulateRun(`b${i}-${b}`, rnd, spread, false)),
      'sim',
    )
    const g = runGate(simulateRun(`n${i}`, rnd, spread, changed), { baseline: { ...base, path: 'sim' }, env: {} })
    if (!g.passed) failed++
    if (g.regressions.some((r) => r.metric === 'tokps' || r.metric === 'ttft_p50')) named++
  }
  return {
    runSpreadPct: spread * 100,
    baselineRuns,
    change: changed ? 'tok/s −15%, TTFT +20%' : 'none',
    runs,
    failed,
    ratePct: (failed / runs) * 100,
    upper95Pct: wilsonUpper(failed, runs),
    namedPct: (named / runs) * 100,
  }
}

describe('gate error rates', () => {
  bench(
    'false alarms and detection, 1-run and 3-run baselines',
    async () => {
      rows.length = 0
      for (const spread of SPREADS)
        for (const k of [1, 3]) {
          rows.push(measure(spread, k, false, UNCHANGED_RUNS))
          rows.push(measure(spread, k, true, CHANGED_RUNS))
        }
    },
    { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
  )
  const task = TestRunner.getCurrentSuite().tasks.at(-1) as { meta?: { harnessGate?: GateErrorRow[] } } | undefined
  if (task?.meta) task.meta.harnessGate = rows
})
