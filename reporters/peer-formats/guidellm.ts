// GuideLLM (0.8) benchmarks report (`--outputs json`, benchmarks.json): {metadata, config, benchmarks: [{config,
// scheduler_state, metrics, requests: {successful, errored, incomplete}}]}. Each request (generative_request_stats)
// carries info.timings (request_start / request_end / first_token_iteration / last_token_iteration: Unix seconds,
// token_iterations), its computed time_to_first_token_ms, inter_token_latency_ms (the request's MEAN gap: GuideLLM
// keeps no per-token times), request_latency (s), prompt_tokens, output_tokens. The benchmark's output tok/s is
// metrics.output_tokens_per_second.successful.mean. One report may hold several benchmarks (a sweep): each is read
// on its own (`benchmark` picks one, default the first).
import { readFileSync } from 'node:fs'
import type { PeerRequest, PeerResult } from './types.ts'

interface Timings {
  request_start?: number | null
  request_end?: number | null
  first_token_iteration?: number | null
  last_token_iteration?: number | null
  token_iterations?: number | null
}

interface RequestStats {
  request_id?: string
  info?: { timings?: Timings; error?: string | null }
  time_to_first_token_ms?: number | null
  inter_token_latency_ms?: number | null
  request_latency?: number | null
  output_tokens?: number | null
  prompt_tokens?: number | null
}

interface Benchmark {
  config?: { strategy?: { streams?: number; max_concurrency?: number; worker_count?: number }; sample_size?: number | null }
  metrics?: {
    output_tokens_per_second?: { successful?: { mean?: number } }
    requests_per_second?: { successful?: { mean?: number } }
  }
  /** seconds from the first request sent to the last one done */
  duration?: number
  requests?: { successful?: RequestStats[]; errored?: RequestStats[]; incomplete?: RequestStats[] }
}

interface Report {
  metadata?: { guidellm_version?: string; version?: string }
  config?: { spec?: { backend?: { model?: string } } }
  benchmarks: Benchmark[]
}

export function isGuidellmReport(x: unknown): x is Report {
  if (typeof x !== 'object' || x === null || !Array.isArray((x as Report).benchmarks)) return false
  const b = (x as Report).benchmarks[0]
  return b === undefined || (typeof b === 'object' && b !== null && 'requests' in b && 'metrics' in b)
}

function request(r: RequestStats, ok: boolean): PeerRequest {
  const t = r.info?.timings ?? {}
  const e2eS = r.request_latency ?? (t.request_start != null && t.request_end != null ? t.request_end - t.request_start : null)
  return {
    ok,
    ...(ok ? {} : { error: r.info?.error ?? 'errored' }),
    startMs: typeof t.request_start === 'number' ? t.request_start * 1000 : null,
    ttftMs: ok ? (r.time_to_first_token_ms ?? null) : null,
    e2eMs: ok && e2eS !== null ? e2eS * 1000 : null,
    itlMs: null,
    outputTokens: r.output_tokens ?? null,
    promptTokens: r.prompt_tokens ?? null,
  }
}

export function parseGuidellm(json: unknown, source: string, benchmark = 0): PeerResult {
  if (!isGuidellmReport(json)) throw new Error(`${source}: not a GuideLLM benchmarks report (no benchmarks[] with requests and metrics)`)
  const b = json.benchmarks[benchmark]
  if (!b) throw new Error(`${source}: has ${json.benchmarks.length} benchmark(s); there is no benchmark ${benchmark}`)
  const reqs = b.requests ?? {}
  const requests = [...(reqs.successful ?? []).map((r) => request(r, true)), ...(reqs.errored ?? []).map((r) => request(r, false))]
  const missing = ["no per-token ITL: GuideLLM keeps each request's first and last token times and its mean gap only"]
  if (reqs.incomplete?.length) missing.push(`${reqs.incomplete.length} requests still running when the benchmark ended are left out (incomplete)`)
  if (typeof b.config?.sample_size === 'number') missing.push(`requests are a sample (sample_size ${b.config.sample_size}), not every request`)
  if (json.benchmarks.length > 1) missing.push(`the report holds ${json.benchmarks.length} benchmarks; this is benchmark ${benchmark}`)
  const tput = b.metrics?.output_tokens_per_second?.successful?.mean
  const rps = b.metrics?.requests_per_second?.successful?.mean
  const streams = b.config?.strategy?.streams ?? b.config?.strategy?.max_concurrency
  const model = json.config?.spec?.backend?.model
  return {
    tool: 'guidellm',
    version: json.metadata?.guidellm_version ?? json.metadata?.version ?? null,
    source,
    requests,
    reported: {
      ...(tput !== undefined ? { outputTokPerSec: tput } : {}),
      ...(rps !== undefined ? { requestThroughput: rps } : {}),
      ...(b.duration !== undefined ? { durationS: b.duration } : {}),
      ...(typeof streams === 'number' ? { concurrency: streams } : {}),
      ...(model ? { model } : {}),
    },
    missing,
  }
}

export function readGuidellmBenchmarks(path: string, benchmark = 0): PeerResult {
  return parseGuidellm(JSON.parse(readFileSync(path, 'utf8')), path, benchmark)
}
