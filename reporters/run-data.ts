// Loads one run folder (bench.csv, summary.json, requests.jsonl) into memory for the aggregate, gate,
// summaries and HTML report. Tolerates what an interrupted run leaves: a missing summary.json or a
// truncated last line in requests.jsonl.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { RequestRecord } from '../helpers/types.ts'
import { asFailure } from '../helpers/failure.ts'
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
  const requests: RunRequest[] = []
  const rj = join(dir, 'requests.jsonl')
  if (existsSync(rj)) {
    readFileSync(rj, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (!line.trim()) return
        try {
          requests.push(JSON.parse(line) as RunRequest)
        } catch {
          warnings.push(`${rj}: line ${i + 1} is not valid JSON (interrupted write?); skipped`)
        }
      })
  }
  // summary.json files written before failures had codes hold plain strings
  for (const c of summary?.cases ?? []) c.summary.failures = (c.summary.failures ?? []).map(asFailure)
  return { dir, runId: summary?.runId ?? basename(dir), summary, benchRows, requests, warnings }
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
