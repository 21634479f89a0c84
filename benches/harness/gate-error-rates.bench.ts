// The regression gate's own error rates, measured. Real requests to the simulator (its own process, ITL
// jitter on) make a pool of StreamObservations per case; each simulated *run* draws its requests from the
// pool and applies a run-level speed factor (log-normal, sd = the run spread) plus per-request jitter to
// their timestamps, then goes through the real record → summary → gate code (toRecord, summarizeCase,
// baselineFromRuns, runGate; roundDiffs and AbTracker for A/B). Two modes:
// - historical (runGate against a 1- or 3-run baseline): the share of PASS / FAIL / INCONCLUSIVE of unchanged runs
//   and of runs with a true 15% tok/s drop and 20% TTFT rise;
// - A/B (fuze-bench ab's test): rounds of one A run and one B run, each with its own drift draw (nothing shared
//   within a round: the worst case for pairing), until the verdict is decided or MAX_ROUNDS; B = A gives the false
//   alarms, B with a true 10% tok/s drop or a 15% TTFT rise the detection, with the median rounds to decide.
// Targets: historical false alarms (FAIL) ≤ 1% of runs; A/B false alarms ≤ 1%, detection ≥ 95%.
//   npx vitest bench --run --project harness -t gate
import { afterAll, beforeAll, bench, describe, TestRunner } from 'vitest'
import { summarizeCase } from '../../helpers/metrics/case.ts'
import { toRecord } from '../../helpers/metrics/request.ts'
import { createClient } from '../../helpers/protocols/index.ts'
import { mulberry32 } from '../../helpers/rng.ts'
import type { RequestRecord, StreamObservation } from '../../helpers/types.ts'
import { AbTracker, roundDiffs } from '../../reporters/ab.ts'
import { baselineFromRuns } from '../../reporters/baseline.ts'
import { DEFAULT_THRESHOLDS, runGate } from '../../reporters/gate.ts'
import { groupRequests, type RunCase, type RunData } from '../../reporters/run-data.ts'
import { simRowContext } from '../../test/load/sim-ref.ts'
import { startSimProcess, type SimProcess } from './sim-process.ts'

interface GateErrorRow {
  runSpreadPct: number
  baselineRuns: number
  change: string
  runs: number
  /** Runs per verdict, and the FAIL share with the upper end of its 95% Wilson interval. */
  pass: number
  fail: number
  inconclusive: number
  ratePct: number
  upper95Pct: number
  /** Runs whose regressions name tok/s or TTFT p50 (the metrics that truly changed). */
  namedPct: number
}

interface AbErrorRow {
  runSpreadPct: number
  change: string
  runs: number
  pass: number
  fail: number
  inconclusive: number
  /** FAIL share (false alarms when B = A, detection otherwise) and its 95% Wilson interval. */
  failPct: number
  lower95Pct: number
  upper95Pct: number
  /** Runs whose failing metrics include one the change moves. */
  namedPct: number
  /** Median and 90th percentile of rounds to a verdict (runs that decided). */
  medianRounds: number
  p90Rounds: number
}

declare module 'vitest' {
  interface TaskMeta {
    harnessGate?: GateErrorRow[]
    harnessAb?: AbErrorRow[]
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
/** A/B runs per row (each up to MAX_ROUNDS rounds of two simulated runs). */
const AB_UNCHANGED_RUNS = 500
const AB_CHANGED_RUNS = 200
/** The round limit of a simulated A/B run: fuze-bench ab's default --max-rounds (at ~23 s a round for the openai suite on the 2-core machine, 15 min). */
const MAX_ROUNDS = 40

/** A true change of the server: TTFT × ttft, every later gap × decode. */
interface Change {
  label: string
  ttft: number
  decode: number
  /** The metrics the change moves, for the "named" column: a FAIL naming one of them found the change. */
  moves?: string[]
}
const NONE: Change = { label: 'none', ttft: 1, decode: 1 }
const HIST_CHANGE: Change = { label: 'tok/s −15%, TTFT +20%', ttft: 1.2, decode: 1 / 0.85 }
const AB_CHANGES: Change[] = [
  { label: 'tok/s −10%', ttft: 1, decode: 1 / 0.9, moves: ['tokps', 'tpot_p50', 'tpot_p99', 'e2e_p50', 'e2e_p99'] },
  { label: 'TTFT +15%', ttft: 1.15, decode: 1, moves: ['ttft_p50', 'ttft_p99', 'prefill_p50', 'e2e_p50', 'e2e_p99'] },
]

let sim: SimProcess
const pools: StreamObservation[][] = []
const rows: GateErrorRow[] = []
const abRows: AbErrorRow[] = []

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

const pctCell = (v: number, w: number) => `${v.toFixed(1)}%`.padStart(w)

afterAll(async () => {
  await sim?.stop()
  if (rows.length) {
    console.log('\ngate error rates, historical (simulated runs from real simulator requests; 3 cases × 8 gated metrics per run)')
    console.log('run spread  baseline  true change              runs    PASS    FAIL  INCONCL  FAIL 95% upper  named tok/s|TTFT')
    for (const r of rows)
      console.log(
        `${`${r.runSpreadPct.toFixed(0)}%`.padStart(10)}  ${`${r.baselineRuns} run${r.baselineRuns > 1 ? 's' : ''}`.padEnd(8)}  ${r.change.padEnd(23)} ${String(r.runs).padStart(5)}  ${pctCell((r.pass / r.runs) * 100, 6)}  ${pctCell(r.ratePct, 6)}  ${pctCell((r.inconclusive / r.runs) * 100, 7)}  ${pctCell(r.upper95Pct, 14)}  ${pctCell(r.namedPct, 8)}`,
      )
  }
  if (abRows.length) {
    console.log(`\ngate error rates, A/B (rounds of one A and one B run, each its own drift draw; at most ${MAX_ROUNDS} rounds)`)
    console.log('run spread  B against A   runs    PASS    FAIL  INCONCL  FAIL 95% CI      named  median rounds  p90 rounds')
    for (const r of abRows)
      console.log(
        `${`${r.runSpreadPct.toFixed(0)}%`.padStart(10)}  ${r.change.padEnd(11)} ${String(r.runs).padStart(5)}  ${pctCell((r.pass / r.runs) * 100, 6)}  ${pctCell(r.failPct, 6)}  ${pctCell((r.inconclusive / r.runs) * 100, 7)}  ${`${r.lower95Pct.toFixed(1)}–${r.upper95Pct.toFixed(1)}%`.padStart(12)}  ${pctCell(r.namedPct, 6)}  ${String(r.medianRounds).padStart(13)}  ${String(r.p90Rounds).padStart(10)}`,
      )
  }
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
function simulateRun(runId: string, rnd: () => number, spread: number, change: Change): RunData {
  const speed = Math.exp(spread * gauss(rnd))
  const cases: RunCase[] = []
  const requests: RequestRecord[] = []
  CASES.forEach((c, ci) => {
    const pool = pools[ci]!
    const recs: RequestRecord[] = []
    for (let i = 0; i < REQUESTS; i++) {
      const o = pool[Math.floor(rnd() * pool.length)]!
      const j = () => Math.exp(REQUEST_JITTER * gauss(rnd))
      const fTtft = speed * j() * change.ttft
      const fDecode = speed * j() * change.decode
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

/** The 95% Wilson score interval of k successes in n, in %. */
function wilson(k: number, n: number): [number, number] {
  const z = 1.96
  const p = k / n
  const mid = p + (z * z) / (2 * n)
  const half = z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))
  return [((mid - half) / (1 + (z * z) / n)) * 100, ((mid + half) / (1 + (z * z) / n)) * 100]
}

function measure(spread: number, baselineRuns: number, change: Change, runs: number): GateErrorRow {
  const rnd = mulberry32(Math.round(spread * 1000) * 100 + baselineRuns * 10 + (change === NONE ? 0 : 1))
  const counts = { PASS: 0, FAIL: 0, INCONCLUSIVE: 0 }
  let named = 0
  for (let i = 0; i < runs; i++) {
    const base = baselineFromRuns(
      Array.from({ length: baselineRuns }, (_, b) => simulateRun(`b${i}-${b}`, rnd, spread, NONE)),
      'sim',
    )
    const g = runGate(simulateRun(`n${i}`, rnd, spread, change), { baseline: { ...base, path: 'sim' }, env: {} })
    counts[g.verdict]++
    if (g.regressions.some((r) => r.metric === 'tokps' || r.metric === 'ttft_p50')) named++
  }
  return {
    runSpreadPct: spread * 100,
    baselineRuns,
    change: change.label,
    runs,
    pass: counts.PASS,
    fail: counts.FAIL,
    inconclusive: counts.INCONCLUSIVE,
    ratePct: (counts.FAIL / runs) * 100,
    upper95Pct: wilson(counts.FAIL, runs)[1],
    namedPct: (named / runs) * 100,
  }
}

function quantile(xs: number[], q: number): number {
  if (!xs.length) return 0
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]
}

/** Simulated `fuze-bench ab` runs: rounds (AB, BA, …) until the tracker decides or MAX_ROUNDS. */
function measureAb(spread: number, change: Change, runs: number): AbErrorRow {
  const rnd = mulberry32(Math.round(spread * 1000) * 1000 + 7 + Math.round(change.ttft * 100) + Math.round(change.decode * 1000))
  const counts = { PASS: 0, FAIL: 0, INCONCLUSIVE: 0 }
  let named = 0
  const decidedAt: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = new AbTracker(DEFAULT_THRESHOLDS, DEFAULT_THRESHOLDS.alpha)
    let j = t.judge()
    for (let r = 0; r < MAX_ROUNDS; r++) {
      // the order does not matter here (each run draws its own drift), but the draws follow it as the CLI would
      const first = simulateRun(`ab${i}-${r}-1`, rnd, spread, r % 2 ? change : NONE)
      const second = simulateRun(`ab${i}-${r}-2`, rnd, spread, r % 2 ? NONE : change)
      const [a, b] = r % 2 ? [second, first] : [first, second]
      t.add(roundDiffs(a, b))
      j = t.judge()
      if (j.verdict !== 'INCONCLUSIVE') {
        decidedAt.push(t.rounds)
        break
      }
    }
    counts[j.verdict]++
    if (change.moves && j.metrics.some((m) => m.verdict === 'FAIL' && change.moves!.includes(m.id))) named++
  }
  const [lo, hi] = wilson(counts.FAIL, runs)
  return {
    runSpreadPct: spread * 100,
    change: change.label,
    runs,
    pass: counts.PASS,
    fail: counts.FAIL,
    inconclusive: counts.INCONCLUSIVE,
    failPct: (counts.FAIL / runs) * 100,
    lower95Pct: lo,
    upper95Pct: hi,
    namedPct: change.moves ? (named / runs) * 100 : 0,
    medianRounds: quantile(decidedAt, 0.5),
    p90Rounds: quantile(decidedAt, 0.9),
  }
}

describe('gate error rates', () => {
  bench(
    'historical: PASS / FAIL / INCONCLUSIVE, 1-, 3- and 5-run baselines',
    async () => {
      rows.length = 0
      for (const spread of SPREADS)
        for (const k of [1, 3, 5]) {
          rows.push(measure(spread, k, NONE, UNCHANGED_RUNS))
          rows.push(measure(spread, k, HIST_CHANGE, CHANGED_RUNS))
        }
    },
    { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
  )
  const task = TestRunner.getCurrentSuite().tasks.at(-1) as { meta?: { harnessGate?: GateErrorRow[] } } | undefined
  if (task?.meta) task.meta.harnessGate = rows
  bench(
    'A/B: false alarms, detection and rounds to decide',
    async () => {
      abRows.length = 0
      for (const spread of SPREADS) {
        abRows.push(measureAb(spread, NONE, AB_UNCHANGED_RUNS))
        for (const c of AB_CHANGES) abRows.push(measureAb(spread, c, AB_CHANGED_RUNS))
      }
    },
    { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
  )
  const abTask = TestRunner.getCurrentSuite().tasks.at(-1) as { meta?: { harnessAb?: AbErrorRow[] } } | undefined
  if (abTask?.meta) abTask.meta.harnessAb = abRows
})
