// Loads one run folder (bench.csv, summary.json, requests.jsonl) into memory for the aggregate, gate,
// summaries and HTML report. Tolerates what an interrupted run leaves: a missing summary.json or a
// truncated last line in requests.jsonl. requests.jsonl is streamed, and of each case at most
// MAX_REQUESTS_PER_CASE measured requests are kept (a uniform, seeded sample once a case has more; its
// summary already holds the exact counts and sketch percentiles), and only the kept lines are parsed, so
// memory does not grow with run length (a 200,000-request folder loads in ~45 MB above the process's base).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { caseKey, recordCaseKey, shortKey } from '../core/case-key.ts'
import { mulberry32 } from '../helpers/rng.ts'
import type { RequestRecord } from '../helpers/types.ts'
import { asFailure } from '../helpers/failure.ts'
import { forEachLineBytes } from './jsonl-lines.ts'
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

/** A requests.jsonl line: the record plus the case identity the case runner writes on it (core/case-key.ts). */
export type RunRequest = RequestRecord & { file?: string; case?: string }

export interface RunData {
  dir: string
  runId: string
  summary: RunSummaryJson | null
  benchRows: Csv16Row[]
  /** Measured requests (sampled per case), by case key (`recordCaseKey`); a merged folder holds none in memory. */
  requests: Map<string, RunRequest[]>
  warnings: string[]
}

export function isRunDir(dir: string): boolean {
  return existsSync(join(dir, 'bench.csv')) || existsSync(join(dir, 'summary.json'))
}

/**
 * A run folder in memory. `inHand`: the summary the bench reporter holds (the run being finished), used instead of
 * reading summary.json back — also when that file could not be written.
 */
export function loadRun(dir: string, inHand?: RunSummary): RunData {
  if (!inHand && !isRunDir(dir))
    throw new Error(
      `${dir} is not a fuze-bench run folder (no bench.csv or summary.json in it). Pass a folder under results/, e.g. results/20250101_120000-myhost.`,
    )
  const warnings: string[] = []
  let summary: RunSummaryJson | null = inHand ?? null
  const sj = join(dir, 'summary.json')
  if (!summary && existsSync(sj)) {
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
  const requests = existsSync(rj) ? readRequests(rj, warnings) : new Map<string, RunRequest[]>()
  // summary.json files written before failures had codes hold plain strings
  for (const c of summary?.cases ?? []) c.summary.failures = (c.summary.failures ?? []).map(asFailure)
  return { dir, runId: summary?.runId ?? basename(dir), summary, benchRows, requests, warnings }
}

/** Measured requests kept per case for the gate's tests and the report's charts. */
export const MAX_REQUESTS_PER_CASE = 10_000

const QUOTE = 0x22
const BACKSLASH = 0x5c
const FILE_HEAD = Buffer.from('{"file":"')
const CASE_KEY = Buffer.from(',"case":"')
const PHASE_RUN = Buffer.from('"phase":"run"')

/** Index just past the JSON string whose opening quote is at `buf[q]` (-1 if it does not end before `end`). */
function stringEnd(buf: Buffer, q: number, end: number): number {
  for (let i = q + 1; i < end; i++) {
    const b = buf[i]
    if (b === BACKSLASH) i++
    else if (b === QUOTE) return i + 1
  }
  return -1
}

/**
 * The case key and phase of a line as the case runner writes it (`{"file":"…","case":"…",…"phase":"run"…}`), read
 * from the bytes without parsing the line; undefined for any other shape (older writers, merged folders), which the
 * caller parses. `"phase":"run"` with its quotes unescaped cannot occur inside a JSON string value.
 */
function scanLine(buf: Buffer, start: number, end: number, heads: Map<string, string>): { key: string; run: boolean } | undefined {
  if (end - start < FILE_HEAD.length || buf.compare(FILE_HEAD, 0, FILE_HEAD.length, start, start + FILE_HEAD.length) !== 0) return undefined
  const fileEnd = stringEnd(buf, start + FILE_HEAD.length - 1, end)
  if (fileEnd < 0 || buf.compare(CASE_KEY, 0, CASE_KEY.length, fileEnd, fileEnd + CASE_KEY.length) !== 0) return undefined
  const caseEnd = stringEnd(buf, fileEnd + CASE_KEY.length - 1, end)
  if (caseEnd < 0) return undefined
  // one short string per line; the decoded key is cached per distinct head
  const head = buf.toString('utf8', start, caseEnd)
  let key = heads.get(head)
  if (key === undefined) {
    const h = JSON.parse(`${head}}`) as { file: string; case: string }
    heads.set(head, (key = caseKey({ file: h.file, fullName: h.case })))
  }
  return { key, run: buf.subarray(caseEnd, end).indexOf(PHASE_RUN) !== -1 }
}

/**
 * Measured requests of requests.jsonl, each case's sampled down to MAX_REQUESTS_PER_CASE, in file order. Two passes:
 * the first counts each case's measured lines from their bytes (scanLine), the second keeps a seeded uniform
 * sample of exactly that many (selection sampling: keep with probability still-needed ÷ still-to-come) and parses
 * only the lines it keeps. A million-line file thus costs K parses per case and no record is ever dropped again
 * after being kept, so the main process's heap holds the sample and little garbage.
 */
function readRequests(path: string, warnings: string[]): Map<string, RunRequest[]> {
  const heads = new Map<string, string>()
  const parse = (buf: Buffer, start: number, end: number): RunRequest | undefined => {
    try {
      return JSON.parse(buf.toString('utf8', start, end)) as RunRequest
    } catch {
      return undefined
    }
  }
  const blank = (buf: Buffer, start: number, end: number) => buf.subarray(start, end).every((b) => b === 0x20 || b === 0x09 || b === 0x0d)
  /** The case key of a measured line (undefined: a warmup, blank or broken line); `whole` when it had to be parsed. */
  const measuredKey = (buf: Buffer, start: number, end: number): { key: string; whole?: RunRequest } | undefined => {
    const scan = scanLine(buf, start, end, heads)
    // a line cut short (interrupted write) is not a measured request, though its head reads fine
    if (scan) return scan.run && buf[end - 1] === 0x7d ? { key: scan.key } : undefined
    if (blank(buf, start, end)) return undefined
    const r = parse(buf, start, end)
    return r && r.phase === 'run' ? { key: recordCaseKey(r), whole: r } : undefined
  }
  const total = new Map<string, number>()
  forEachLineBytes(path, (buf, start, end, lineNo) => {
    const m = measuredKey(buf, start, end)
    if (m) total.set(m.key, (total.get(m.key) ?? 0) + 1)
    else if (!blank(buf, start, end) && parse(buf, start, end) === undefined)
      warnings.push(`${path}: line ${lineNo} is not valid JSON (interrupted write?); skipped`)
  })
  const rng = mulberry32(1)
  const cases = new Map([...total].map(([key, n]) => [key, { left: n, need: Math.min(n, MAX_REQUESTS_PER_CASE) }]))
  const out = new Map<string, RunRequest[]>()
  forEachLineBytes(path, (buf, start, end) => {
    const m = measuredKey(buf, start, end)
    const c = m && cases.get(m.key)
    if (!c || c.need === 0) return
    const keep = c.need >= c.left || rng() * c.left < c.need
    c.left--
    if (!keep) return
    c.need--
    const r = m.whole ?? parse(buf, start, end)
    if (!r) return
    let list = out.get(m.key)
    if (!list) out.set(m.key, (list = []))
    list.push(shareLists(r))
  })
  for (const [key, n] of total)
    if (n > MAX_REQUESTS_PER_CASE)
      warnings.push(
        `${shortKey(key)}: ${n} measured requests; the gate's tests and the report's charts use a uniform sample of ${MAX_REQUESTS_PER_CASE} (the summary's figures cover all of them; requests.jsonl has every one)`,
      )
  return out
}

/** One token per chunk makes itlMs and chunkGapsMs equal (toRecord writes one list twice): keep one array of them. */
function shareLists(r: RunRequest): RunRequest {
  const a = r.itlMs
  const b = r.chunkGapsMs
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => v === b[i])) r.chunkGapsMs = a
  return r
}

/** Requests grouped by their case key, in first-seen order (for runs built in memory: tests, merged shards). */
export function groupRequests(list: Iterable<RunRequest>): Map<string, RunRequest[]> {
  const out = new Map<string, RunRequest[]>()
  for (const r of list) {
    const key = recordCaseKey(r)
    let group = out.get(key)
    if (!group) out.set(key, (group = []))
    group.push(r)
  }
  return out
}

/** Every measured request the run holds in memory, case by case. */
export function allRequests(run: RunData): RunRequest[] {
  return [...run.requests.values()].flat()
}

/**
 * Measured requests of one case (warmups never count), by its key. Lines of writers that wrote no `case` field are
 * keyed by their short case name: they belong to the case of that name in their file, unless two cases of that file
 * share the name (then nothing tells them apart, and neither gets them).
 */
export function caseRequests(run: RunData, c: RunCase): RunRequest[] {
  const own = run.requests.get(caseKey(c))
  if (own) return own
  const legacy = run.requests.get(c.summary.caseName)
  const sameFile = (file: string | undefined) => !file || !c.file || file === c.file
  const shared = (run.summary?.cases ?? []).filter((x) => x.summary.caseName === c.summary.caseName && sameFile(x.file)).length > 1
  return legacy && !shared ? legacy.filter((r) => sameFile(r.file)) : []
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
