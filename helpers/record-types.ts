// The shapes of one measured request and of a distribution: the leaf every metric module builds on.
// Split from types.ts so the metric registry (which CaseSummary derives its metric fields from) can
// import them without an import cycle; types.ts re-exports them, so importers need not care.

/** How one request ended. Everything but 'ok' is counted apart and never averaged into latency. */
export type Outcome =
  | 'ok'
  | 'http_error' // non-2xx status (httpStatus + bodyExcerpt set)
  | 'timeout' // per-request deadline (TIMEOUT_GEN) passed
  | 'stall' // no bytes for longer than the stall limit while streaming
  | 'disconnect' // connection closed mid-stream before the protocol's end marker
  | 'protocol_error' // malformed line, truncated JSON, wrong content-type, server-side error event
  | 'connect_error' // could not connect / socket refused
  | 'aborted' // cancelled by us (case aborted, run interrupted)

/** Durations and counts the server reports about itself (authoritative where present). */
export interface ServerTimings {
  outputTokens?: number // usage.completion_tokens / eval_count / timings.predicted_n / details.generated_tokens
  promptTokens?: number // usage.prompt_tokens / prompt_eval_count / timings.prompt_n
  cachedPromptTokens?: number
  decodeMs?: number // eval_duration / timings.predicted_ms
  promptMs?: number // prompt_eval_duration / timings.prompt_ms
  loadMs?: number // Ollama load_duration
  totalMs?: number // Ollama total_duration
  decodeTokPerSec?: number // timings.predicted_per_second or eval_count/eval_duration
  promptTokPerSec?: number
  finishReason?: string
}

/** One request, summarised: what lands in requests.jsonl and feeds every statistic. */
export interface RequestRecord {
  id: string
  caseName: string
  phase: 'warmup' | 'run'
  outcome: Outcome
  error?: string
  httpStatus?: number
  bodyExcerpt?: string
  /** Wall-clock ISO time the request was sent. */
  startedAt: string
  /** ms since the case started that the request was sent (timeline). */
  tStartMs: number
  /** Time the request waited in the client (concurrency cap, dispatch lag) before being sent. */
  queueMs: number
  ttftMs: number | null
  /** Time to first non-reasoning output token, when reasoning came first. */
  ttfotMs: number | null
  e2eMs: number | null
  tpotMs: number | null
  /** Per-token inter-token latencies (multi-token chunk gaps spread over their tokens), ms to the µs. */
  itlMs: number[]
  /** Raw gaps between output-bearing chunks, ms to the µs (the same array as itlMs when every chunk carried one token). */
  chunkGapsMs: number[]
  outputTokensServer: number | null
  outputTokensClient: number
  /** The count used for statistics: server's when present, else client's. */
  outputTokens: number
  promptTokensServer: number | null
  tokenCountMismatch: boolean
  decodeTokPerSecClient: number | null
  decodeTokPerSecServer: number | null
  server: ServerTimings
}

/** Distribution summary of one metric. */
export interface Dist {
  n: number
  mean: number | null
  std: number | null
  min: number | null
  max: number | null
  p50: number | null
  p90: number | null
  p95: number | null
  p99: number | null
}
