// The one shape every peer tool's result file is read into (vLLM bench JSON, AIPerf profile_export.jsonl, GuideLLM
// benchmarks JSON, inference-perf per-request lifecycle JSON): per-request results as the tool recorded them, the
// tool's own headline numbers, and what the format does not carry. Nothing is invented: a field the file lacks is
// null, and `missing` says so in words.

/** The peer tools whose files are read. */
export type PeerToolId = 'vllm-bench' | 'aiperf' | 'guidellm' | 'inference-perf'

export interface PeerRequest {
  ok: boolean
  error?: string
  /** Epoch ms the request was sent, where the file says (vLLM bench keeps no per-request start time). */
  startMs: number | null
  ttftMs: number | null
  e2eMs: number | null
  /** Per-token gaps in ms as the tool recorded them; null where the format keeps no per-token times. */
  itlMs: number[] | null
  outputTokens: number | null
  promptTokens: number | null
}

export interface PeerResult {
  /** fuze-bench's own runs are read into this shape too, beside the peers' */
  tool: PeerToolId | 'fuze-bench'
  /** The tool's version where the file names it. */
  version: string | null
  /** The file read. */
  source: string
  requests: PeerRequest[]
  /** The tool's own summary numbers, where the file has them (not recomputed). */
  reported: {
    outputTokPerSec?: number
    requestThroughput?: number
    durationS?: number
    concurrency?: number
    model?: string
  }
  /** What this file does not carry, in words (e.g. 'no per-token ITL: only each request's mean gap'). */
  missing: string[]
}
