// Public shapes of the simulator. Other modules (protocol-client tests, shims, the `sim` bench
// project) depend on these names exactly: add optional fields only.

export type SimProtocol = 'openai' | 'ollama' | 'llamacpp' | 'tgi' | 'triton'

export interface SimFaults {
  /** chat: first chunk has only delta.role (Ollama chat: an empty assistant message). */
  roleOnlyFirstChunk?: boolean
  /** This many empty-content chunks interleaved between token chunks. */
  emptyChunks?: number
  /** SSE ': keep-alive' comments between events (SSE protocols only; NDJSON has no comment syntax). */
  keepAlive?: boolean
  /** No usage / eval_count / timings / details in the final message. */
  missingUsage?: boolean
  /** First N tokens as reasoning_content (openai-chat) / thinking (ollama). */
  reasoningTokens?: number
  /** Emit a garbage line after N chunks. */
  malformedLineAt?: number
  /** Emit a truncated JSON event after N chunks. */
  truncatedJsonAt?: number
  /** Destroy the socket after N chunks. */
  disconnectAfter?: number
  /** Stop sending (keep the socket open) after this many ms of streaming. */
  stallAfterMs?: number
  /** Answer every generate call with this HTTP status and body. */
  status?: number
  statusBody?: string
  /** Fraction of requests (seeded by request id) that get `status` (500 when status is unset). */
  failRate?: number
  /** text/plain instead of text/event-stream / application/x-ndjson. */
  wrongContentType?: boolean
  /** Usage reports outputTokens + this (to test mismatch flags). */
  serverCountOffBy?: number
  /** process.exit(1) after this many generate requests finished (CLI mode only). */
  dieAfterRequests?: number
}

export interface SimConfig {
  protocol: SimProtocol
  host: string
  port: number
  seed: number
  ttftMs: number
  perPromptTokenMs: number
  itlMs: number
  itlJitterMs: number
  tokensPerChunk: number
  concurrencySlowdown: number
  maxSeqs: number
  maxQueue: number
  precompute: boolean
  models: string[]
  blockCount: number
  readyDelayMs: number
  /** Extension: when > 0 and the request does not ask to ignore EOS, stop ('stop') after this many tokens (min_tokens still honoured). 0 = always generate the requested count. */
  eosAfterTokens: number
  /** Extension: the bearer token every protocol endpoint requires (unset = none); never echoed by /_sim/config. */
  apiKey?: string
  faults: SimFaults
}

export interface SimTruth {
  requestId: string
  /** Epoch ms (performance.timeOrigin + performance.now()) when the request arrived. */
  tReceived: number
  /** Epoch ms right before the write of every output-bearing chunk (reasoning included; role-only, empty, keep-alive and final events excluded). */
  chunkTimes: number[]
  /** Tokens carried by each of those chunks. */
  chunkTokens: number[]
  /** Extension: epoch ms each chunk was scheduled for by the latency model (chunkTimes - chunkTargets = pacing error). */
  chunkTargets?: number[]
  outputTokens: number
  promptTokens: number
  outcome: 'ok' | 'fault' | 'queued-reject'
  /** Extension: path of the request. */
  path?: string
  /** Extension: epoch ms when the request got a sequence slot (after any queueing). */
  tAdmitted?: number
  /** Extension: epoch ms the response ended (or the socket was destroyed). */
  tEnd?: number
  /** Extension: the client closed the connection before the response ended. */
  clientClosed?: boolean
  /** Extension: which fault shaped the response, when outcome is 'fault'. */
  fault?: string
  /** Extension: Ollama `options` object as received. */
  options?: Record<string, unknown>
}

export interface SimStats {
  requests: number
  active: number
  maxActive: number
  /** Extension: requests waiting for a sequence slot right now. */
  queued?: number
  /** Extension: requests rejected because the queue was full. */
  rejected?: number
}

export interface SimRequestLogEntry {
  requestId: string
  method: string
  path: string
  body: unknown
}

export interface SimHandle {
  url: string
  port: number
  config: SimConfig
  close(): Promise<void>
  truth(requestId: string): SimTruth | undefined
  stats(): SimStats
  /** Extension: the last 1000 requests (oldest first), as served by GET /_sim/requests. */
  requests(): SimRequestLogEntry[]
}

/** Options that only the CLI process uses. */
export interface SimProcessHooks {
  /** Called once dieAfterRequests generate requests have finished; the CLI exits the process. */
  onDie?: () => void
}
