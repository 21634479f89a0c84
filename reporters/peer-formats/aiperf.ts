// AIPerf (0.13) `profile_export.jsonl` (written at --export-level records, the default): one JSON line per request,
// {metadata, metrics, error}. metadata.request_start_ns / request_end_ns are wall-clock (time.time_ns); metrics are
// {value, unit} by tag: time_to_first_token, request_latency (ms), inter_token_latency (ms: the request's mean gap,
// (latency − TTFT) / (output tokens − 1)), inter_chunk_latency (ms, a list: the gap before each streamed chunk after
// the first), output_sequence_length / input_sequence_length (tokens, as AIPerf's tokenizer counts them unless
// --use-server-token-count). The run's output tok/s is in profile_export_aiperf.json beside it (output_token_throughput).
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { PeerRequest, PeerResult } from './types.ts'

interface MetricValue {
  value: number | number[]
  unit?: string
}

interface AiperfRecord {
  metadata?: { request_start_ns?: number; request_end_ns?: number; x_request_id?: string | null }
  metrics?: Record<string, MetricValue | undefined>
  error?: { code?: number | null; type?: string | null; message?: string | null } | null
}

const TO_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, sec: 1000 }

function msOf(m: MetricValue | undefined): number | null {
  if (!m || typeof m.value !== 'number') return null
  const k = TO_MS[m.unit ?? 'ms']
  return k === undefined ? null : m.value * k
}

function msList(m: MetricValue | undefined): number[] | null {
  if (!m || !Array.isArray(m.value)) return null
  const k = TO_MS[m.unit ?? 'ms'] ?? 1
  return m.value.map((v) => v * k)
}

const num = (m: MetricValue | undefined) => (m && typeof m.value === 'number' ? m.value : null)

export function isAiperfRecord(x: unknown): x is AiperfRecord {
  return typeof x === 'object' && x !== null && 'metadata' in x && 'metrics' in x
}

/** `text`: the jsonl file's contents; `summary`: profile_export_aiperf.json's parsed object when it is at hand. */
export function parseAiperf(text: string, source: string, summary?: unknown): PeerResult {
  const requests: PeerRequest[] = []
  let lineNo = 0
  let chunkLists = 0
  for (const line of text.split('\n')) {
    lineNo++
    if (!line.trim()) continue
    let rec: unknown
    try {
      rec = JSON.parse(line)
    } catch {
      throw new Error(`${source}: line ${lineNo} is not JSON; an AIPerf profile_export.jsonl has one JSON record per line`)
    }
    if (!isAiperfRecord(rec)) throw new Error(`${source}: line ${lineNo} has no metadata/metrics: not an AIPerf profile_export.jsonl record`)
    const m = rec.metrics ?? {}
    const ok = !rec.error
    const itl = msList(m.inter_chunk_latency)
    if (itl) chunkLists++
    const start = rec.metadata?.request_start_ns
    requests.push({
      ok,
      ...(rec.error ? { error: `${rec.error.type ?? 'error'}${rec.error.code ? ` ${rec.error.code}` : ''}: ${rec.error.message ?? ''}` } : {}),
      startMs: typeof start === 'number' ? start / 1e6 : null,
      ttftMs: ok ? msOf(m.time_to_first_token) : null,
      e2eMs: ok ? msOf(m.request_latency) : null,
      itlMs: ok ? itl : null,
      outputTokens: num(m.output_sequence_length),
      promptTokens: num(m.input_sequence_length),
    })
  }
  const missing: string[] = []
  if (requests.length && chunkLists === 0) missing.push("no per-token ITL: only each request's mean gap (inter_token_latency)")
  else missing.push('ITL is the gap before each streamed chunk (inter_chunk_latency), not per token: a chunk of several tokens is one gap')
  const s = summary as Record<string, { avg?: number } | undefined> | undefined
  const version = (summary as { aiperf_version?: unknown } | undefined)?.aiperf_version
  const tput = s?.output_token_throughput?.avg
  const rps = s?.request_throughput?.avg
  const dur = s?.benchmark_duration?.avg
  if (tput === undefined) missing.push('no run throughput: profile_export_aiperf.json was not beside the file')
  return {
    tool: 'aiperf',
    version: typeof version === 'string' ? version : null,
    source,
    requests,
    reported: {
      ...(tput !== undefined ? { outputTokPerSec: tput } : {}),
      ...(rps !== undefined ? { requestThroughput: rps } : {}),
      ...(dur !== undefined ? { durationS: dur } : {}),
    },
    missing,
  }
}

/** profile_export.jsonl, with profile_export_aiperf.json beside it when there is one. */
export function readAiperfExport(path: string): PeerResult {
  const summaryPath = join(dirname(path), 'profile_export_aiperf.json')
  const summary = existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as unknown) : undefined
  return parseAiperf(readFileSync(path, 'utf8'), path, summary)
}
