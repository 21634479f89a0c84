// Running bench projects with the stack shims first on PATH, and reading back what the shims and the run wrote.
import { existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { expect } from 'vitest'
import { freePort } from '../../fixtures/ports.ts'
import { onlyRunDir, ROOT, startBench } from '../support/run-bench.ts'

export const SHIMS = join(ROOT, 'test', 'shims')

/**
 * Few, short requests: these runs check the flow, not the numbers — so a loaded test machine's event-loop delay
 * (the client-bound health check) must not fail them.
 */
export const QUICK = {
  BENCH_ALLOW_CLIENT_BOUND: '1',
  BENCH_WARMUP: '0',
  BENCH_REQUESTS: '2',
  BENCH_NUM_PREDICT: '8',
  FUZE_SHIM_SIM_ARGS: '--itl-ms 2 --ttft-ms 50 --block-count 34',
}

export interface ShimEntry {
  stack: string
  pid: number
  argv?: string[]
  env?: Record<string, string>
  exit?: boolean
  calls?: { path: string; body: Record<string, unknown> }[]
  /** `options` of each /api/generate and /api/chat request the shimmed server answered. */
  generateOptions?: Record<string, unknown>[]
}

/** A PATH with node and nothing else: no stack binary, no nvidia-smi (a CPU machine without the stack). */
export function barePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fuze-bare-path-'))
  symlinkSync(process.execPath, join(dir, 'node'))
  return dir
}

export async function ports(): Promise<{ PORT_A: string; PORT_B: string }> {
  return { PORT_A: String(await freePort()), PORT_B: String(await freePort()) }
}

/**
 * The run succeeded as far as the stack flow goes: exit 0, or exit 1 only because a loaded test machine made cases
 * client-bound (the reporter still fails those even with BENCH_ALLOW_CLIENT_BOUND=1; the gate does not).
 */
export function expectFlowPassed(r: { exitCode?: number; all?: string }): void {
  const fails = (r.all ?? '').split('\n').filter((l) => l.startsWith('FAIL '))
  expect(
    fails.filter((l) => !l.includes('client-bound: results not trustworthy')),
    r.all,
  ).toEqual([])
  if (fails.length === 0) expect(r.exitCode, r.all).toBe(0)
  else expect(r.exitCode, r.all).toBe(1)
}

export function shimPath(): string {
  return `${SHIMS}${delimiter}${process.env.PATH}`
}

export function shimLogFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'fuze-shim-log-')), 'shim.jsonl')
}

/** Run `vitest bench --project <project> [filter]` with the shims first on PATH. */
export async function runWithShims(args: string[], env: Record<string, string>) {
  const log = shimLogFile()
  const full = { ...QUICK, ...(await ports()), PATH: shimPath(), FUZE_SHIM_LOG: log, ...env }
  const run = startBench(args, full)
  const r = await run.child
  return { r, env: full, log, resultsDir: run.resultsDir, shim: () => readShimLog(log), rows: () => csvRows(onlyRunDir(run.resultsDir)) }
}

export function readShimLog(file: string): ShimEntry[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ShimEntry)
}

export type Row = Record<string, string>

/** RFC 4180 fields (csv-stringify quotes only when needed). */
function fields(line: string): string[] {
  const out: string[] = []
  const re = /("(?:[^"]|"")*"|[^,]*)(,|$)/g
  for (let m = re.exec(line); m && m.index < line.length + 1; m = re.exec(line)) {
    out.push(m[1].startsWith('"') ? m[1].slice(1, -1).replace(/""/g, '"') : m[1])
    if (m[2] === '') break
  }
  return out
}

export function csvRows(runDir: string): Row[] {
  const [head, ...lines] = readFileSync(join(runDir, 'bench.csv'), 'utf8').trim().split('\n')
  const names = fields(head)
  return lines.map((l) => {
    const f = fields(l)
    if (f.length !== 16) throw new Error(`bench.csv row with ${f.length} fields: ${l}`)
    return Object.fromEntries(names.map((n, i) => [n, f[i]]))
  })
}

/** Server launches (not the `python3 -c` availability probe SGLang's check runs, nor the per-case nvidia-smi stream). */
export function launches(entries: ShimEntry[]): ShimEntry[] {
  return entries.filter((e) => e.argv && e.argv[0] !== '-c' && e.stack !== 'nvidia-smi')
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
