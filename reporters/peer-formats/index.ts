// Peer tools' result files → the records and case summary fuze-bench's own runs have, for `fuze-bench compare` and
// BENCH_BASELINE. Which format a file is, is decided from its contents (names vary with tool options); every
// parser keeps what the file has and says what it lacks (PeerResult.missing).
import { readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { summarizeCase } from '../../helpers/metrics/case.ts'
import type { CaseSummary, RequestRecord } from '../../helpers/types.ts'
import { parseAiperf } from './aiperf.ts'
import { isGuidellmReport, parseGuidellm } from './guidellm.ts'
import { isInferencePerfLifecycle, parseInferencePerf } from './inference-perf.ts'
import type { PeerRequest, PeerResult } from './types.ts'
import { isVllmBenchJson, parseVllmBench } from './vllm-bench.ts'

export type { PeerRequest, PeerResult, PeerToolId } from './types.ts'

/** Read a peer result: a file, or a folder holding one (AIPerf artifacts, inference-perf reports). */
export function readPeerResult(path: string): PeerResult {
  if (statSync(path).isDirectory()) {
    for (const name of ['profile_export.jsonl', 'per_request_lifecycle_metrics.json', 'benchmarks.json'])
      try {
        return readPeerResult(join(path, name))
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      }
    throw new Error(`${path}: no peer result in this folder (profile_export.jsonl, per_request_lifecycle_metrics.json or benchmarks.json)`)
  }
  const text = readFileSync(path, 'utf8')
  const sibling = (name: string): unknown => {
    try {
      return JSON.parse(readFileSync(join(path, '..', name), 'utf8'))
    } catch {
      return undefined
    }
  }
  if (path.endsWith('.jsonl')) return parseAiperf(text, path, sibling('profile_export_aiperf.json'))
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new Error(`${path}: not JSON, and not a .jsonl AIPerf export; fuze-bench reads vllm bench, AIPerf, GuideLLM and inference-perf result files`)
  }
  if (isVllmBenchJson(json)) return parseVllmBench(json, path)
  if (isGuidellmReport(json)) return parseGuidellm(json, path)
  if (isInferencePerfLifecycle(json)) return parseInferencePerf(json, path, sibling('summary_lifecycle_metrics.json'))
  throw new Error(
    `${path}: not a result file fuze-bench can read: expected vllm bench serve --save-result JSON, AIPerf profile_export.jsonl, ` +
      'GuideLLM benchmarks JSON or inference-perf per_request_lifecycle_metrics.json',
  )
}

/** One peer request as a fuze-bench RequestRecord: what the tool did not measure stays null or empty, never guessed. */
export function toRequestRecord(r: PeerRequest, i: number, caseName: string, t0: number | null): RequestRecord {
  const n = r.outputTokens ?? 0
  const decodeMs = r.ok && r.e2eMs !== null && r.ttftMs !== null ? r.e2eMs - r.ttftMs : null
  return {
    id: `peer-${i + 1}`,
    caseName,
    phase: 'run',
    outcome: r.ok ? 'ok' : 'protocol_error',
    ...(r.error ? { error: r.error } : {}),
    startedAt: r.startMs !== null ? new Date(r.startMs).toISOString() : '',
    tStartMs: r.startMs !== null && t0 !== null ? r.startMs - t0 : 0,
    queueMs: 0,
    ttftMs: r.ttftMs,
    ttfotMs: r.ttftMs,
    e2eMs: r.e2eMs,
    tpotMs: decodeMs !== null && n > 1 ? decodeMs / (n - 1) : null,
    itlMs: r.itlMs ?? [],
    chunkGapsMs: r.itlMs ?? [],
    outputTokensServer: null,
    outputTokensClient: n,
    outputTokens: n,
    promptTokensServer: r.promptTokens,
    tokenCountMismatch: false,
    decodeTokPerSecClient: decodeMs !== null && decodeMs > 0 && n > 1 ? ((n - 1) * 1000) / decodeMs : null,
    decodeTokPerSecServer: null,
    server: {},
  }
}

export interface PeerCase {
  /** file / fullName / stack / model the case is known by: the tool's name stands for the stack */
  identity: { caseName: string; fullName: string; file: string; stack: string; model: string }
  records: RequestRecord[]
  summary: CaseSummary
  /** the tool's own numbers (not recomputed) and what its file lacks */
  reported: PeerResult['reported']
  missing: string[]
}

/** A peer result as one fuze-bench case: records and the summary fuze-bench's summariser makes of them. */
export function peerCase(result: PeerResult): PeerCase {
  const model = result.reported.model ?? 'model'
  const caseName = `${result.tool} run`
  const identity = { caseName, fullName: `${model} on ${result.tool} > ${caseName}`, file: basename(result.source), stack: result.tool, model }
  const starts = result.requests.map((r) => r.startMs).filter((x): x is number => x !== null)
  const t0 = starts.length ? Math.min(...starts) : null
  const records = result.requests.map((r, i) => toRequestRecord(r, i, caseName, t0))
  const summary = summarizeCase(identity, records)
  // the tool's own run-level throughput where it has one (its duration, not the span of our records)
  if (result.reported.outputTokPerSec !== undefined) summary.outputTokenThroughput = result.reported.outputTokPerSec
  if (result.reported.requestThroughput !== undefined) summary.requestThroughput = result.reported.requestThroughput
  summary.warnings.push(...result.missing.map((m) => `${result.tool}: ${m}`))
  return { identity, records, summary, reported: result.reported, missing: result.missing }
}
