// `vllm bench serve --save-result --save-detailed` JSON (vllm/benchmarks/serve.py, 0.32): one object with the run's
// settings and summary (duration, completed, failed, output_throughput, max_concurrency, model_id…) and, with
// --save-detailed, one array entry per request: input_lens, output_lens, ttfts (s), itls (s, one list per request:
// the gap before each streamed chunk after the first), latencies (s), start_times (perf_counter s: a monotonic
// clock, not a wall time), errors ("" when ok).
import { readFileSync } from 'node:fs'
import type { PeerRequest, PeerResult } from './types.ts'

interface VllmBenchJson {
  date?: string
  backend?: string
  model_id?: string
  duration?: number
  completed?: number
  failed?: number
  max_concurrency?: number | null
  output_throughput?: number
  request_throughput?: number
  input_lens?: number[]
  output_lens?: number[]
  ttfts?: number[]
  itls?: number[][]
  latencies?: number[]
  start_times?: number[]
  errors?: string[]
}

export function isVllmBenchJson(x: unknown): x is VllmBenchJson {
  return typeof x === 'object' && x !== null && 'output_throughput' in x && ('ttfts' in x || 'mean_ttft_ms' in x) && 'num_prompts' in x
}

const ms = (s: number | undefined) => (s === undefined || !Number.isFinite(s) ? null : s * 1000)

export function parseVllmBench(json: unknown, source: string): PeerResult {
  if (!isVllmBenchJson(json)) throw new Error(`${source}: not a vllm bench serve result (no output_throughput, num_prompts and ttfts/mean_ttft_ms keys)`)
  const j = json
  const missing: string[] = []
  const n = j.ttfts?.length ?? 0
  if (!j.ttfts) missing.push('no per-request arrays: the run was saved without --save-detailed (only the summary percentiles)')
  if (j.ttfts && !j.latencies) missing.push('no per-request latencies: E2E is TTFT + the sum of the chunk gaps')
  missing.push('no wall-clock send times: start_times are a monotonic clock (perf_counter)')
  missing.push('ITL is the gap before each streamed chunk, not per token: a chunk carrying several tokens is one gap')
  const requests: PeerRequest[] = []
  for (let i = 0; i < n; i++) {
    const error = j.errors?.[i] ?? ''
    const ttft = ms(j.ttfts![i])
    const itl = (j.itls?.[i] ?? []).map((s) => s * 1000)
    const ok = error === '' && (j.output_lens?.[i] ?? 1) > 0
    const e2e = ms(j.latencies?.[i]) ?? (ttft === null ? null : ttft + itl.reduce((a, b) => a + b, 0))
    requests.push({
      ok,
      ...(error ? { error } : {}),
      startMs: null,
      ttftMs: ok ? ttft : null,
      e2eMs: ok ? e2e : null,
      itlMs: ok ? itl : null,
      outputTokens: j.output_lens?.[i] ?? null,
      promptTokens: j.input_lens?.[i] ?? null,
    })
  }
  return {
    tool: 'vllm-bench',
    version: null,
    source,
    requests,
    reported: {
      ...(j.output_throughput !== undefined ? { outputTokPerSec: j.output_throughput } : {}),
      ...(j.request_throughput !== undefined ? { requestThroughput: j.request_throughput } : {}),
      ...(j.duration !== undefined ? { durationS: j.duration } : {}),
      ...(typeof j.max_concurrency === 'number' ? { concurrency: j.max_concurrency } : {}),
      ...(j.model_id ? { model: j.model_id } : {}),
    },
    missing,
  }
}

export function readVllmBenchJson(path: string): PeerResult {
  return parseVllmBench(JSON.parse(readFileSync(path, 'utf8')), path)
}
