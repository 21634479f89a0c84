// What the peers benches share: the scenarios, running one tool as a measured child process (wall and CPU seconds of
// all its processes), the simulator's ground truth of a run, the peers.json rows and the table.
// Each tool reads the same server with the same workload: fixed prompt and output lengths (ignore_eos or the tool's
// equivalent), the same streams and request count. fuze-bench runs as a user runs it (`npx vitest bench`, a child).
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { dist } from '../../helpers/metrics/dist.ts'
import { runDir } from '../../helpers/run-dir.ts'
import type { PeerRequest, PeerResult } from '../../reporters/peer-formats/types.ts'
import type { SimTruth } from '../../sim/types.ts'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const RUSAGE = fileURLToPath(new URL('./rusage.py', import.meta.url))

export interface Scenario {
  id: string
  streams: number
  requests: number
  inputTokens: number
  outputTokens: number
  /** a simulator run whose per-request truth the tools are judged against */
  truth?: boolean
  /** a real server the bench starts (benches/peers/real-server.ts) instead of the simulator */
  server?: { stack: 'llama.cpp' | 'vllm'; model: string }
}

/**
 * truth: the simulator with TTFT 50 ms and ITL 10 ms (no jitter, no per-prompt-token time). ingest-*: the zero-delay
 * simulator (each body written at once) at 1/64/256 streams, 512 output tokens per request. llama-server, vllm: the
 * real server on the generated tiny-random model, c=4 (vllm only where `fuze-bench setup --stack vllm` installed it).
 */
export const SCENARIOS: Record<string, Scenario> = {
  truth: { id: 'truth', streams: 16, requests: 240, inputTokens: 32, outputTokens: 64, truth: true },
  'ingest-1': { id: 'ingest-1', streams: 1, requests: 200, inputTokens: 32, outputTokens: 512 },
  'ingest-64': { id: 'ingest-64', streams: 64, requests: 2000, inputTokens: 32, outputTokens: 512 },
  'ingest-256': { id: 'ingest-256', streams: 256, requests: 2048, inputTokens: 32, outputTokens: 512 },
  'llama-server': { id: 'llama-server', streams: 4, requests: 60, inputTokens: 32, outputTokens: 64, server: { stack: 'llama.cpp', model: 'tiny-random' } },
  vllm: { id: 'vllm', streams: 4, requests: 60, inputTokens: 32, outputTokens: 64, server: { stack: 'vllm', model: 'tiny-random' } },
}

/** What one tool run reports to the table: its per-request results (parsed from its own output files) and its cost. */
export interface ToolRun {
  tool: string
  version: string
  result: PeerResult
  cpuS: number
  wallS: number
  /** how the tool was set up to keep up (processes, workers…), said in the README */
  settings: string
}

export interface PeerRow {
  tool: string
  version: string
  scenario: string
  requests: number
  ok: number
  ttftP50Ms: number | null
  ttftP99Ms: number | null
  itlP50Ms: number | null
  itlP99Ms: number | null
  e2eP50Ms: number | null
  ttftErrP50Ms?: number | null
  ttftErrP99Ms?: number | null
  itlErrP99Ms?: number | null
  outputTokPerSec: number | null
  clientCpuSecPerMTok: number | null
  /** per-token: the gaps between tokens as received; per-request: each request's mean gap ((e2e − ttft)/(n − 1)) */
  itlKind: 'per-token' | 'per-request mean' | 'none'
  settings: string
  /** load average (1 min) when the tool finished: CPU numbers on a shared 2-core machine are noisy */
  load1: number
  notes: string[]
}

export interface TruthDists {
  ttft: number[]
  itl: number[]
}

/**
 * Runs `file args` as a child under rusage.py: its CPU seconds count every process below it (workers included).
 * stdout+stderr go to `<outDir>/console.log`. Throws with the log's tail when it exits non-zero.
 */
export async function runMeasured(
  python: string,
  label: string,
  file: string,
  args: string[],
  o: { outDir: string; env?: Record<string, string | undefined>; timeoutMs: number; cwd?: string; extendEnv?: boolean },
): Promise<{ cpuS: number; wallS: number }> {
  mkdirSync(o.outDir, { recursive: true })
  const usage = join(o.outDir, 'rusage.json')
  const log = join(o.outDir, 'console.log')
  writeFileSync(join(o.outDir, 'command.json'), `${JSON.stringify({ file, args, env: o.env ?? {} }, null, 2)}\n`)
  const r = await execa(python, [RUSAGE, usage, file, ...args], {
    cwd: o.cwd ?? o.outDir,
    env: childEnv(o.env, o.extendEnv ?? true),
    extendEnv: false,
    reject: false,
    timeout: o.timeoutMs,
    stdin: 'ignore',
    stdout: { file: log },
    stderr: { file: `${log}.err` },
  })
  const tail = () =>
    ['', '.err']
      .map((s) => (existsSync(log + s) ? readFileSync(log + s, 'utf8') : ''))
      .join('\n')
      .trim()
      .split('\n')
      .slice(-20)
      .join('\n')
  if (r.timedOut) throw new Error(`${label}: still running after ${o.timeoutMs / 1000} s; killed. Its last output (${log}):\n${tail()}`)
  if (r.exitCode !== 0 || !existsSync(usage)) throw new Error(`${label}: exited with ${r.exitCode ?? r.signal}. Its last output (${log}):\n${tail()}`)
  const u = JSON.parse(readFileSync(usage, 'utf8')) as { wallS: number; userS: number; sysS: number }
  return { cpuS: u.userS + u.sysS, wallS: u.wallS }
}

/**
 * A tool's environment: no hub (HF_HUB_OFFLINE=1 and friends), no colours, then the caller's; a key set to undefined
 * is removed (AIPerf 0.13 with HF_HUB_OFFLINE looks for a tokenizer in the HF cache only, never in a local folder).
 */
function childEnv(own: Record<string, string | undefined> | undefined, inherit: boolean): Record<string, string> {
  const all: Record<string, string | undefined> = {
    ...(inherit ? process.env : {}),
    HF_HUB_OFFLINE: '1',
    TRANSFORMERS_OFFLINE: '1',
    HF_DATASETS_OFFLINE: '1',
    NO_COLOR: '1',
    ...own,
  }
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined))
}

const WARM_ID = 'peers-sim-warmup-'
const WARM_WAVES = 8

/**
 * Before a tool runs, the fresh simulator serves 8 waves of `streams` requests shaped like the scenario's (ids
 * marked, left out of the truth): a cold simulator (its code not yet compiled) read the first burst of 16 requests up
 * to 38 ms late, an error in every tool's TTFT p99 that was the simulator's, not the tool's. Warmed with 8-token
 * replies it still read the first 2–4 waves of 64-token ones 4–12 ms late (the time a request waits in the socket
 * before the simulator reads it is in no truth); warmed with the scenario's own replies, at most 4.4 ms. Every tool meets
 * the same warm simulator.
 */
export async function warmSim(url: string, s: Scenario, model: string): Promise<void> {
  let next = 0
  const one = async (): Promise<void> => {
    while (next < s.streams * WARM_WAVES) {
      const id = `${WARM_ID}${next++}`
      const body = JSON.stringify({ model, prompt: promptOf(s.inputTokens), max_tokens: s.outputTokens, stream: true, ignore_eos: true })
      const res = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id }, body })
      await res.text()
      if (!res.ok) throw new Error(`peers: warming the simulator at ${url} failed: HTTP ${res.status}`)
    }
  }
  await Promise.all(Array.from({ length: s.streams }, one))
}

/** Every request the simulator served since it started (its request log holds the last 1000) with its truth, warm-up left out. */
export async function simTruths(url: string): Promise<SimTruth[]> {
  const log = (await (await fetch(`${url}/_sim/requests`)).json()) as { requestId: string; path: string }[]
  const out: SimTruth[] = []
  for (const e of log) {
    if (!/completions$/.test(e.path) || e.requestId.startsWith(WARM_ID)) continue
    const res = await fetch(`${url}/_sim/truth/${encodeURIComponent(e.requestId)}`)
    if (res.ok) out.push((await res.json()) as SimTruth)
  }
  return out
}

/** TTFT (first output chunk − request received) and ITL (gaps between chunks, one token each) as the simulator emitted them. */
export function truthDists(truths: readonly SimTruth[]): TruthDists {
  const ttft: number[] = []
  const itl: number[] = []
  for (const t of truths) {
    if (t.outcome !== 'ok' || t.chunkTimes.length === 0) continue
    ttft.push(t.chunkTimes[0]! - t.tReceived)
    for (let i = 1; i < t.chunkTimes.length; i++) itl.push(t.chunkTimes[i]! - t.chunkTimes[i - 1]!)
  }
  return { ttft, itl }
}

export function load1(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0])
  } catch {
    return Number.NaN
  }
}

/** The row of one tool on one scenario; errors against the truth where there is one (tool's percentile − truth's). */
export function rowOf(scenario: Scenario, run: ToolRun, truth?: TruthDists): PeerRow {
  const ok = run.result.requests.filter((r) => r.ok)
  const ttft = dist(ok.map((r) => r.ttftMs).filter((x): x is number => x !== null))
  const e2e = dist(ok.map((r) => r.e2eMs).filter((x): x is number => x !== null))
  const perToken = ok.some((r) => r.itlMs !== null && r.itlMs.length > 0)
  const itlValues = perToken ? ok.flatMap((r) => r.itlMs ?? []) : ok.map(meanGap).filter((x): x is number => x !== null)
  const itl = dist(itlValues)
  const tokens = ok.reduce((s, r) => s + (r.outputTokens ?? 0), 0)
  const row: PeerRow = {
    tool: run.tool,
    version: run.version,
    scenario: scenario.id,
    requests: run.result.requests.length,
    ok: ok.length,
    ttftP50Ms: ttft.p50,
    ttftP99Ms: ttft.p99,
    itlP50Ms: itl.p50,
    itlP99Ms: itl.p99,
    e2eP50Ms: e2e.p50,
    outputTokPerSec: run.result.reported.outputTokPerSec ?? null,
    clientCpuSecPerMTok: tokens > 0 ? (run.cpuS * 1e6) / tokens : null,
    itlKind: itlValues.length === 0 ? 'none' : perToken ? 'per-token' : 'per-request mean',
    settings: run.settings,
    load1: load1(),
    notes: [...run.result.missing],
  }
  if (truth) {
    const t = dist(truth.ttft)
    const i = dist(truth.itl)
    row.ttftErrP50Ms = diff(row.ttftP50Ms, t.p50)
    row.ttftErrP99Ms = diff(row.ttftP99Ms, t.p99)
    row.itlErrP99Ms = diff(row.itlP99Ms, i.p99)
  }
  return row
}

/** The row of a tool that did not finish: nothing measured, the reason in notes (the bench still fails). */
export function failedRow(scenario: Scenario, tool: string, version: string, error: unknown): PeerRow {
  const message = (error as Error).message ?? String(error)
  return {
    tool,
    version,
    scenario: scenario.id,
    requests: scenario.requests,
    ok: 0,
    ttftP50Ms: null,
    ttftP99Ms: null,
    itlP50Ms: null,
    itlP99Ms: null,
    e2eP50Ms: null,
    outputTokPerSec: null,
    clientCpuSecPerMTok: null,
    itlKind: 'none',
    settings: '',
    load1: load1(),
    notes: [`failed: ${message.split('\n')[0]}`],
  }
}

const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b)

function meanGap(r: PeerRequest): number | null {
  if (r.ttftMs === null || r.e2eMs === null || r.outputTokens === null || r.outputTokens < 2) return null
  return (r.e2eMs - r.ttftMs) / (r.outputTokens - 1)
}

/** peers.json in the run folder: this file's rows replace earlier rows of the same tool and scenario. */
export function writePeersJson(rows: readonly PeerRow[]): string {
  const path = join(runDir(), 'peers.json')
  mkdirSync(runDir(), { recursive: true })
  const old = existsSync(path) ? ((JSON.parse(readFileSync(path, 'utf8')) as { rows: PeerRow[] }).rows ?? []) : []
  const key = (r: PeerRow) => `${r.tool}\u0000${r.scenario}`
  const mine = new Set(rows.map(key))
  writeFileSync(path, `${JSON.stringify({ rows: [...old.filter((r) => !mine.has(key(r))), ...rows] }, null, 2)}\n`)
  return path
}

const f = (x: number | null | undefined, digits = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits))
const fi = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : Math.round(x).toLocaleString('en-US'))

export function table(rows: readonly PeerRow[]): string {
  const head = [
    'scenario',
    'tool',
    'version',
    'ok/n',
    'TTFT p50',
    'TTFT p99',
    'ITL p50',
    'ITL p99',
    'ITL kind',
    'E2E p50',
    'TTFT err p50',
    'TTFT err p99',
    'ITL err p99',
    'out tok/s',
    'CPU s/1M tok',
    'load',
  ]
  const body = rows.map((r) => [
    r.scenario,
    r.tool,
    r.version,
    `${r.ok}/${r.requests}`,
    f(r.ttftP50Ms),
    f(r.ttftP99Ms),
    f(r.itlP50Ms, 2),
    f(r.itlP99Ms, 2),
    r.itlKind,
    f(r.e2eP50Ms),
    f(r.ttftErrP50Ms, 2),
    f(r.ttftErrP99Ms, 2),
    f(r.itlErrP99Ms, 2),
    fi(r.outputTokPerSec),
    f(r.clientCpuSecPerMTok),
    f(r.load1),
  ])
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 || i === 8 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')
  const failures = rows.filter((r) => r.notes.some((n) => n.startsWith('failed:'))).map((r) => `${r.scenario} ${r.tool}: ${r.notes.join('; ')}`)
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line), ...failures].join('\n')
}

/** Run folders a child fuze-bench run made under `resultsRoot` (LOG_DIR), newest last. */
export function childRunDirs(resultsRoot: string): string[] {
  if (!existsSync(resultsRoot)) return []
  return readdirSync(resultsRoot, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(resultsRoot, d.name, 'summary.json')))
    .map((d) => join(resultsRoot, d.name))
    .sort()
}

/** The prompt fuze-bench sends: `n` words the simulator counts as one token each. */
export function promptOf(n: number): string {
  return Array.from({ length: n }, (_, i) => ['the', 'of', 'and', 'to', 'in', 'is', 'it', 'for'][i % 8]).join(' ')
}
