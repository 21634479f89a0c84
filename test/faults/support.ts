// Run one fault spec as a user would (a real `vitest bench` child, the real llama.cpp fixture, a real server
// process behind LLAMACPP_BIN) and read back what the run left: exit code, output, run folder, processes.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { execa } from 'execa'
import { freePort } from '../../fixtures/ports.ts'
import { pidsMatching, waitGone } from '../support/procs.ts'
import { onlyRunDir, ROOT, startBench, type BenchRun } from '../support/run-bench.ts'

export const SIM_SHIM = join(ROOT, 'test', 'faults', 'shims', 'llama-server-sim.sh')
export const FAULTS_CONFIG = 'test/faults/vitest.faults.config.ts'

/** A scratch folder with a placeholder .gguf (the simulator shim ignores the model; the fixture wants a file). */
export function scratch(): { dir: string; model: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fuze-fault-'))
  const model = join(dir, 'fault-model.gguf')
  writeFileSync(model, 'GGUF placeholder for the simulator shim\n')
  return { dir, model }
}

export interface FaultRun extends BenchRun {
  port: number
}

/**
 * Start `vitest bench` on one fault spec; the server listens on a fresh PORT_A so leftovers can be found by port.
 * Fault runs share a busy machine with each other, so the client-bound health check (not what they test) is off.
 */
export async function startFault(
  spec: string,
  env: Record<string, string | undefined>,
  opts: { detached?: boolean; resultsDir?: string } = {},
): Promise<FaultRun> {
  const port = await freePort()
  const run = startBench(
    ['--config', FAULTS_CONFIG, spec],
    {
      LLAMACPP_BIN: SIM_SHIM,
      BENCH_ALLOW_CLIENT_BOUND: '1',
      BENCH_WARMUP: '0',
      BENCH_REQUESTS: '3',
      WAIT_API_SECS: '30',
      TIMEOUT_GEN: '20',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      PORT_A: String(port),
      ...env,
    },
    opts.resultsDir,
    { detached: opts.detached },
  )
  return { ...run, port }
}

export interface FaultResult {
  exitCode: number | undefined
  output: string
  runDir: string | undefined
  /** Anything still running with this run's server port in its arguments, 10 s after vitest ended. */
  leftovers: number[]
}

export async function finish(run: FaultRun): Promise<FaultResult> {
  const r = await run.child
  const leftovers = await waitGone(`--port ${run.port}`, 10_000)
  for (const pid of leftovers) process.kill(pid, 'SIGKILL') // never leave one behind for the next test
  let runDir: string | undefined
  try {
    runDir = onlyRunDir(run.resultsDir)
  } catch {
    runDir = undefined
  }
  return { exitCode: r.exitCode, output: r.all ?? '', runDir, leftovers }
}

export async function runFault(spec: string, env: Record<string, string | undefined>): Promise<FaultResult> {
  return finish(await startFault(spec, env))
}

export interface JsonRecord {
  case: string
  phase: string
  outcome: string
  error?: string
  httpStatus?: number
  bodyExcerpt?: string
  outputTokens: number
  ttftMs: number | null
}

/** requests.jsonl, every line parsed (a corrupt line throws, which is what a test wants to know). */
export function records(runDir: string): JsonRecord[] {
  const f = join(runDir, 'requests.jsonl')
  if (!existsSync(f)) return []
  return readFileSync(f, 'utf8')
    .trimEnd()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JsonRecord)
}

/** bench.csv as lines (header first); [] when the run wrote none. */
export function csvLines(runDir: string): string[] {
  const f = join(runDir, 'bench.csv')
  return existsSync(f) ? readFileSync(f, 'utf8').trimEnd().split('\n') : []
}

export interface SummaryJson {
  incomplete: boolean
  cases: {
    fullName: string
    summary: {
      incomplete: boolean
      failures: string[]
      warnings: string[]
      counts: { requests: number; ok: number; failed: number; byOutcome: Record<string, number> }
    }
  }[]
}

export function summary(runDir: string): SummaryJson {
  return JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as SummaryJson
}

/** The processes vitest's main process forked (its workers), found with ps like a user would. */
export async function workersOf(run: BenchRun): Promise<number[]> {
  const { stdout } = await execa('ps', ['-o', 'pid=', '--ppid', String(run.child.pid)], { reject: false })
  return stdout
    .split('\n')
    .map((l) => Number.parseInt(l.trim(), 10))
    .filter((p) => Number.isInteger(p))
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Poll (bounded) until none of these pids runs; returns the ones still running at the deadline (and kills them). */
export async function waitPidsGone(pids: number[], deadlineMs = 10_000): Promise<number[]> {
  const t0 = Date.now()
  while (pids.some(alive) && Date.now() - t0 < deadlineMs) await sleep(100)
  const left = pids.filter(alive)
  for (const pid of left) process.kill(pid, 'SIGKILL')
  return left
}

export { pidsMatching, waitGone }
