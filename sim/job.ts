// What a protocol hands the engine for one generate call: how many tokens, and how to put them on
// the wire. Encoders only format; pacing, faults, queueing and truth live in the engine.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Admission } from './admission.ts'
import type { SimMetrics } from './metrics.ts'
import type { Pacer } from './pacer.ts'
import type { RequestLog, TruthStore } from './store.ts'
import type { SimConfig, SimProcessHooks } from './types.ts'

export interface GenChunk {
  text: string
  ids: number[]
  /** Text of each token (text is their concatenation). */
  texts: string[]
  reasoning: boolean
  /** 0-based position of this chunk among the token-bearing chunks. */
  index: number
  first: boolean
  last: boolean
}

/** Everything a final message may report. Timing fields are updated by the engine as it goes. */
export interface GenInfo {
  requestId: string
  model: string
  /** Unix seconds at admission (OpenAI `created`). */
  created: number
  /** ISO time (Ollama `created_at`). */
  createdAt: string
  text: string
  reasoningText: string
  ids: number[]
  outputTokens: number
  /** outputTokens + faults.serverCountOffBy: what usage/eval_count/timings report. */
  reportedOutputTokens: number
  promptTokens: number
  finishReason: 'length' | 'stop'
  missingUsage: boolean
  includeUsage: boolean
  promptMs: number
  decodeMs: number
  totalMs: number
  loadMs: number
}

export interface StreamEncoder {
  contentType: 'text/event-stream' | 'text/event-stream; charset=utf-8' | 'application/x-ndjson'
  /** Chat only: a chunk that carries just the assistant role. */
  roleOnly?(info: GenInfo): string
  chunk(c: GenChunk, info: GenInfo): string
  empty(info: GenInfo): string
  final(info: GenInfo): string
  garbage(): string
  truncated(c: GenChunk, info: GenInfo): string
}

export interface GenerateJob {
  promptTokens: number
  maxTokens: number
  minTokens: number
  ignoreEos: boolean
  stream: boolean
  includeUsage: boolean
  model: string
  /** Whether this endpoint has a reasoning field (OpenAI chat, Ollama). */
  reasoning: boolean
  encoder: StreamEncoder
  whole(info: GenInfo): string
  /** Content type of `whole` (default application/json): Triton's generate_stream answers a non-streaming model in SSE. */
  wholeContentType?: string
  error(status: number, message: string): string
  options?: Record<string, unknown>
}

/** A response body built once and replayed for every request of the same shape. */
export interface PrecomputedBody {
  body: Buffer
  /** Tokens of each output chunk that the body contains (cut short by disconnectAfter). */
  chunkTokens: number[]
  disconnect: boolean
}

export interface SimContext {
  config: SimConfig
  pacer: Pacer
  admission: Admission
  truths: TruthStore
  log: RequestLog
  metrics: SimMetrics
  precomputed: Map<string, PrecomputedBody>
  hooks: SimProcessHooks
  /** Models served; Ollama create/pull/delete change it. */
  models: Map<string, { parameters?: Record<string, unknown>; from?: string; createdAt: string }>
  /** Ollama /api/ps: models that served a request. */
  loaded: Set<string>
  /** Date.now() and performance.now() at start. */
  startedAt: number
  startedAtPerf: number
  counters: { requests: number; generatesFinished: number; nextId: number }
}

export interface SimRequest {
  req: IncomingMessage
  res: ServerResponse
  requestId: string
  /** Epoch ms when the request arrived. */
  tReceived: number
  method: string
  path: string
  query: URLSearchParams
  body: unknown
  /** Regex groups of the matched route. */
  params: string[]
}
