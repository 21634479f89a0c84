// Loads one run folder (bench.csv, summary.json, requests.jsonl) into memory for the aggregate, gate,
// summaries and HTML report. Tolerates what an interrupted run leaves: a missing summary.json or a
// truncated last line in requests.jsonl. requests.jsonl is streamed, and of each case at most
// MAX_REQUESTS_PER_CASE measured requests are kept (a uniform, seeded sample once a case has more; its
// summary already holds the exact counts and sketch percentiles), so memory does not grow with run length.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { mulberry32 } from '../helpers/rng.ts'
import type { RequestRecord } from '../helpers/types.ts'
import { asFailure } from '../helpers/failure.ts'
import { forEachLine } from './jsonl-lines.ts'
import type { GateThresholds } from './gate-types.ts'
import { readCsv16, type Csv16Row } from './fuze-csv.ts'
import type { RunSummary, SummaryCase } from './run-folder.ts'

/** One case as summary.json holds it: the writer's shape; `gate` (optional) carries per-spec gate thresholds. */
export interface RunCase extends SummaryCase {
  gate?: Partial<GateThresholds>
}

/** summary.json as read back; `skipped` may be missing in a folder an older or interrupted run left. */
export interface RunSummaryJson extends Omit<RunSummary, 'cases' | 'skipped'> {
  cases: RunCase[]
  skipped?: RunSummary['skipped']
}

export type RunRequest = RequestRecord & { file?: string }

export interface RunData {
  dir: string
  runId: string
  summary: RunSummaryJson | null
  benchRows: Csv16Row[]
  requests: RunRequest[]
  warnings: string[]
}

export function isRunDir(dir: string): boolean {
  return existsSync(join(dir, 'bench.csv')) || existsSync(join(dir, 'summary.json'))
}

export function loadRun(dir: string): RunData {
  if (!isRunDir(dir))
    throw new Error(
      `${dir} is not a fuze-bench run folder (no bench.csv or summary.json in it). Pass a folder under results/, e.g. results/20250101_120000-myhost.`,
    )
  const warnings: string[] = []
  let summary: RunSummaryJson | null = null
  const sj = join(dir, 'summary.json')
  if (existsSync(sj)) {
    try {
      summary = JSON.parse(readFileSync(sj, 'utf8')) as RunSummaryJson
    } catch (err) {
      warnings.push(`${sj}: not valid JSON (${(err as Error).message}); per-case metrics are unavailable for this run`)
    }
  }
  let benchRows: Csv16Row[] = []
  if (existsSync(join(dir, 'bench.csv'))) {
    const read = readCsv16(join(dir, 'bench.csv'))
    benchRows = read.rows
    warnings.push(...read.warnings)
  }
  const rj = join(dir, 'requests.jsonl')
  const requests = existsSync(rj) ? readRequests(rj, warnings) : []
  // summary.json files written before failures had codes hold plain strings
  for (const c of summary?.cases ?? []) c.summary.failures = (c.summary.failures ?? []).map(asFailure)
  return { dir, runId: summary?.runId ?? basename(dir), summary, benchRows, requests, warnings }
}

/** Measured requests kept per case for the gate's tests and the report's charts. */
export const MAX_REQUESTS_PER_CASE = 10_000

/** Measured requests of requests.jsonl, each case's sampled down to MAX_REQUESTS_PER_CASE (Algorithm R, seeded), in file order. */
function readRequests(path: string, warnings: string[]): RunRequest[] {
  const cases = new Map<string, { seen: number; kept: { at: number; r: RunRequest }[] }>()
  const rng = mulberry32(1)
  let at = 0
  forEachLine(path, (line, lineNo) => {
    if (!line.trim()) return
    let r: RunRequest
    try {
      r = JSON.parse(line) as RunRequest
    } catch {
      warnings.push(`${path}: line ${lineNo} is not valid JSON (interrupted write?); skipped`)
      return
    }
    // warmups never enter the gate or the report (caseRequests drops them): not kept
    if (r.phase !== 'run') return
    const key = `${r.file ?? ''}\0${(r as { case?: string }).case ?? r.caseName}`
    let c = cases.get(key)
    if (!c) cases.set(key, (c = { seen: 0, kept: [] }))
    const item = { at: at++, r }
    if (c.kept.length < MAX_REQUESTS_PER_CASE) c.kept.push(item)
    else {
      const j = Math.floor(rng() * (c.seen + 1))
      if (j < MAX_REQUESTS_PER_CASE) c.kept[j] = item
    }
    c.seen++
  })
  const out: { at: number; r: RunRequest }[] = []
  for (const [key, c] of cases) {
    if (c.seen > MAX_REQUESTS_PER_CASE)
      warnings.push(
        `${key.split('\0')[1]}: ${c.seen} measured requests; the gate's tests and the report's charts use a uniform sample of ${MAX_REQUESTS_PER_CASE} (the summary's figures cover all of them; requests.jsonl has every one)`,
      )
    out.push(...c.kept)
  }
  return out.sort((a, b) => a.at - b.at).map((x) => x.r)
}

/** Measured requests of one case (warmups never count). */
export function caseRequests(run: RunData, c: RunCase): RunRequest[] {
  return run.requests.filter(
    (r) => r.phase === 'run' && (r.caseName === c.summary.caseName || r.caseName === c.fullName) && (!r.file || !c.file || r.file === c.file),
  )
}

/** Run folders under `resultsDir`, oldest first (run ids start with YYYYMMDD_HHMMSS so names sort by time). */
export function listRunDirs(resultsDir: string): string[] {
  if (!existsSync(resultsDir)) return []
  return readdirSync(resultsDir)
    .map((n) => join(resultsDir, n))
    .filter((p) => statSync(p).isDirectory() && isRunDir(p))
    .sort((a, b) => basename(a).localeCompare(basename(b)))
}

export function latestRunDir(resultsDir: string): string {
  const runs = listRunDirs(resultsDir)
  if (runs.length === 0)
    throw new Error(
      `no run folders in ${resultsDir}. Run a bench first (npx vitest bench --project llama.cpp) or set BENCH_RESULTS_DIR to where your results are.`,
    )
  return runs[runs.length - 1]
}
