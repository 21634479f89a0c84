// BENCH_CLIENT_PROCS end to end: a real `vitest bench` whose load case is measured by N client processes against one
// simulator process, merged into the one case automatically. Counts must add up, every request must be in
// requests.jsonl once (saying which process sent it), the percentiles must be those of those requests (exactly),
// the processes together must send at the target rate, and a run torn down mid-case must leave no client process
// behind and keep what they measured.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dist } from '../../helpers/metrics/dist.ts'
import type { RequestRecord } from '../../helpers/types.ts'
import { startSimProcess } from '../load/sim-ref.ts'
import { waitFor, waitGone } from '../support/procs.ts'
import { onlyRunDir, startBench, waitForRunDir } from '../support/run-bench.ts'

let sim: { url: string; stop: () => Promise<void> }

beforeAll(async () => {
  sim = await startSimProcess({ protocol: 'openai', ttftMs: 60, itlMs: 2 })
})
afterAll(async () => sim?.stop())

type Line = RequestRecord & { case: string; proc?: number }
const lines = (dir: string): Line[] =>
  readFileSync(join(dir, 'requests.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line)

const bench = (env: Record<string, string>, detached = false) =>
  startBench(
    ['--project', 'sim', 'benches/sim/openai.bench.ts', '-t', 'completions'],
    // 2 shared cores: the processes' verdict must not decide these tests
    { SIM_URL: sim.url, BENCH_WARMUP: '2', BENCH_ALLOW_CLIENT_BOUND: '1', ...env },
    undefined,
    { detached },
  )

async function checkCase(procs: number, env: Record<string, string>, requests: number) {
  const run = bench({ BENCH_CLIENT_PROCS: String(procs), BENCH_REQUESTS: String(requests), ...env })
  const r = await run.child
  expect(r.exitCode, r.all).toBe(0)
  const dir = onlyRunDir(run.resultsDir)
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))
  expect(summary.cases).toHaveLength(1)
  const s = summary.cases[0].summary
  expect(s.counts).toMatchObject({ requests, ok: requests, failed: 0, warmup: 2 })
  const measured = lines(dir).filter((x) => x.phase === 'run' && x.case.endsWith('> completions'))
  // every request once, each saying which client process sent it, the load split evenly
  expect(new Set(measured.map((x) => x.id)).size).toBe(requests)
  const per = Array.from({ length: procs }, (_, i) => measured.filter((x) => x.proc === i + 1).length)
  expect(per).toEqual(Array.from({ length: procs }, (_, i) => Math.floor(requests / procs) + (i < requests % procs ? 1 : 0)))
  // the percentiles are the union's, exactly
  expect(s.ttftMs).toEqual(dist(measured.map((x) => x.ttftMs!)))
  expect(s.itlMs).toEqual(dist(measured.flatMap((x) => x.itlMs)))
  expect(s.e2eMs).toEqual(dist(measured.map((x) => x.e2eMs!)))
  expect(s.sections.client.procs).toBe(procs)
  expect(s.sections.client.processes).toHaveLength(procs)
  expect(s.sections.client.outputTokens).toBe(measured.reduce((a, x) => a + x.outputTokens, 0))
  // the workers' own files are gone: the run folder looks like any other
  expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([])
  return s
}

describe('BENCH_CLIENT_PROCS: one case, several client processes, merged', () => {
  it('2 processes, 40 requests at 8 req/s in total → one case with 40 requests, 40 ok, at the target rate', async () => {
    const s = await checkCase(2, { BENCH_RATE: '8', BENCH_ARRIVAL: 'constant' }, 40)
    expect(s.load.targetRate).toBe(8)
    expect(Math.abs(s.load.achievedRate / 8 - 1)).toBeLessThan(0.05)
    // the common start: every process began within a few ms of the others
    for (const p of s.sections.client.processes) expect(Math.abs(p.offsetMs - s.sections.client.processes[0].offsetMs)).toBeLessThan(20)
    expect(s.load.steadyState).not.toBeNull()
  }, 180_000)

  it('3 processes, 4 streams, 30 requests: streams and requests split with the remainder first; the summary says 4 streams', async () => {
    const s = await checkCase(3, { BENCH_CONCURRENCY: '4' }, 30)
    expect(s.load.concurrency).toBe(4)
    expect(s.load.maxInFlight).toBeLessThanOrEqual(4)
  }, 180_000)

  it('a run torn down mid-case leaves no client process behind and keeps what they measured', async () => {
    const run = bench({ BENCH_CLIENT_PROCS: '2', BENCH_RATE: '8', BENCH_DURATION: '120' }, true)
    const dir = await waitForRunDir(
      run.resultsDir,
      (d) => {
        const procs = join(d, '.procs')
        if (!existsSync(procs)) return false
        // both workers have measured requests on disk
        const files = readdirSync(procs).flatMap((x) => ['1', '2'].map((i) => join(procs, x, i, 'requests.jsonl')))
        return files.filter((f) => existsSync(f) && readFileSync(f, 'utf8').includes('"phase":"run"')).length === 2
      },
      'both client processes to measure requests',
    )
    process.kill(-run.child.pid!, 'SIGTERM')
    await run.child
    expect(await waitGone(`client-proc.ts ${dir}`)).toEqual([])
    // vitest's main process may exit before its worker has written the interrupted case: wait for it (bounded)
    const summaryPath = join(dir, 'summary.json')
    await waitFor(
      () => existsSync(summaryPath) && JSON.parse(readFileSync(summaryPath, 'utf8')).cases?.length === 1 && existsSync(join(dir, 'requests.jsonl')),
      'the interrupted case in summary.json',
      20_000,
    )
    const kept = lines(dir).filter((x) => x.phase === 'run')
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([])
    expect(kept.length).toBeGreaterThan(2)
    expect(new Set(kept.map((x) => x.proc))).toEqual(new Set([1, 2]))
    // the interrupted case is reported with what the processes measured
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))
    expect(summary.cases[0].summary.incomplete).toBe(true)
    expect(summary.cases[0].summary.counts.requests).toBe(kept.length)
  }, 180_000)
})
