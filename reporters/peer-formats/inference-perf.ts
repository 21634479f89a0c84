// inference-perf (0.7) per-request lifecycle report: `per_request_lifecycle_metrics.json`, written with
// `report.request_lifecycle.per_request: true`. A JSON array, one entry per request: start_time / end_time (seconds
// on a monotonic clock: time.perf_counter, not a wall time), info.response_metrics.output_token_times (the same clock,
// one per output token as the client counted them; chunk_times when kept), info.request_metrics.text.input_tokens,
// info.response_metrics.output_tokens and server_usage, optional computed_metrics (time_to_first_token,
// request_latency, inter_token_latencies, in s) when per_request_fields.computed_metrics is on, and error (null when
// ok). The run's throughput is not in this file: it is in summary_lifecycle_metrics.json beside it
// (successes.throughput.output_tokens_per_sec), read when present.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { PeerRequest, PeerResult } from './types.ts'

interface LifecycleEntry {
  start_time: number
  end_time: number
  info?: {
    request_metrics?: { text?: { input_tokens?: number } }
    response_metrics?: {
      output_tokens?: number
      server_usage?: { prompt_tokens?: number; completion_tokens?: number } | null
      output_token_times?: number[]
      chunk_times?: number[]
    } | null
    input_tokens?: number
  } | null
  computed_metrics?: { time_to_first_token?: number | null; request_latency?: number | null; inter_token_latencies?: number[] | null }
  error?: { error_type?: string; error_msg?: string } | null
}

interface Summary {
  successes?: { throughput?: { output_tokens_per_sec?: number; requests_per_sec?: number } }
  load_summary?: { concurrency?: number }
  benchmark_time_seconds?: number
}

export function isInferencePerfLifecycle(x: unknown): x is LifecycleEntry[] {
  if (!Array.isArray(x)) return false
  const e = x[0] as Partial<LifecycleEntry> | undefined
  return e === undefined || (typeof e === 'object' && e !== null && typeof e.start_time === 'number' && typeof e.end_time === 'number' && 'error' in e)
}

export function parseInferencePerf(json: unknown, source: string, summary?: unknown): PeerResult {
  if (!isInferencePerfLifecycle(json))
    throw new Error(`${source}: not an inference-perf per-request lifecycle report (a JSON array of {start_time, end_time, info, error})`)
  const missing = ['no wall-clock send times: start_time/end_time are a monotonic clock (perf_counter)']
  let sawTokenTimes = false
  const requests: PeerRequest[] = json.map((e): PeerRequest => {
    const rm = e.info?.response_metrics ?? undefined
    const times = rm?.output_token_times ?? rm?.chunk_times ?? []
    if (times.length) sawTokenTimes = true
    const ok = !e.error
    const cm = e.computed_metrics
    const ttftS = cm?.time_to_first_token ?? (times.length ? times[0]! - e.start_time : null)
    const itlS = cm?.inter_token_latencies ?? (times.length > 1 ? times.slice(1).map((t, i) => t - times[i]!) : null)
    return {
      ok,
      ...(e.error ? { error: `${e.error.error_type ?? 'error'}: ${e.error.error_msg ?? ''}`.trim() } : {}),
      startMs: null,
      ttftMs: ok && ttftS !== null ? ttftS * 1000 : null,
      e2eMs: ok ? (cm?.request_latency ?? e.end_time - e.start_time) * 1000 : null,
      itlMs: ok && itlS ? itlS.map((s) => s * 1000) : null,
      outputTokens: rm?.server_usage?.completion_tokens ?? rm?.output_tokens ?? null,
      promptTokens: rm?.server_usage?.prompt_tokens ?? e.info?.request_metrics?.text?.input_tokens ?? e.info?.input_tokens ?? null,
    }
  })
  if (json.length && !sawTokenTimes) missing.push('no per-token times (the report was written without response metrics): no TTFT or ITL')
  const s = summary as Summary | undefined
  const tput = s?.successes?.throughput
  if (!tput) missing.push('no run throughput: summary_lifecycle_metrics.json was not beside the file')
  return {
    tool: 'inference-perf',
    version: null,
    source,
    requests,
    reported: {
      ...(tput?.output_tokens_per_sec !== undefined ? { outputTokPerSec: tput.output_tokens_per_sec } : {}),
      ...(tput?.requests_per_sec !== undefined ? { requestThroughput: tput.requests_per_sec } : {}),
      ...(s?.benchmark_time_seconds !== undefined ? { durationS: s.benchmark_time_seconds } : {}),
      ...(s?.load_summary?.concurrency !== undefined ? { concurrency: s.load_summary.concurrency } : {}),
    },
    missing,
  }
}

/** The per-request file, with summary_lifecycle_metrics.json beside it when there is one. */
export function readInferencePerfLifecycle(path: string): PeerResult {
  const summaryPath = join(dirname(path), 'summary_lifecycle_metrics.json')
  const summary = existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as unknown) : undefined
  return parseInferencePerf(JSON.parse(readFileSync(path, 'utf8')), path, summary)
}
