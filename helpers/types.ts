// Shared shapes that flow spec → protocol client → metrics → reporters.
// Kept in one file so every module (and every stack) agrees on them.
import type { Failure } from './failure.ts'
import type { Dist, Outcome, ServerTimings } from './record-types.ts'
import type { MetricValues } from './metrics/registry.ts'

export type { Dist, Outcome, RequestRecord, ServerTimings } from './record-types.ts'

export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string }

/** What a spec asks one request to do; each protocol maps it to its own wire format. */
export interface GenerateRequest {
  /** Plain prompt (completion APIs) or chat messages (chat APIs). */
  prompt: string | ChatMessage[]
  /** Tokens to generate (max_tokens / n_predict / options.num_predict). */
  maxTokens: number
  temperature: number
  /** Ask the server to ignore EOS so exactly maxTokens are produced, where the protocol allows it. */
  ignoreEos: boolean
  /** Model name sent on the wire, where the protocol needs one. */
  model?: string
  /** Protocol-specific extra body fields (e.g. Ollama options like num_gpu, num_ctx), merged in by the client. */
  extra?: Record<string, unknown>
  /** Whole-request deadline in ms. */
  timeoutMs: number
  /** Max silence while streaming, in ms (default: timeoutMs). */
  stallMs?: number
  signal?: AbortSignal
  /** Client request id, sent as a header `x-request-id` so servers/simulator can correlate. */
  requestId: string
  /** Keep the generated text of this request (StreamObservation.text), e.g. to resend it in the next turn. */
  keepText?: boolean
  /**
   * An open loop's request, built ahead of its time: written to its connection at this performance.now() (not
   * before), and a connection for the next arrival is opened once it is out (connect-stock.ts).
   */
  sendAt?: number
}

/**
 * Raw observation of one streamed request, as the protocol client saw it.
 * All times are performance.now() milliseconds taken when bytes were read, before parsing.
 */
export interface StreamObservation {
  outcome: Outcome
  error?: string
  httpStatus?: number
  bodyExcerpt?: string
  tSend: number
  tHeaders?: number
  tEnd: number
  /** Arrival time of every chunk that carried generated output (text, token ids or reasoning). */
  chunkTimes: number[]
  /** Tokens carried by each such chunk (explicit ids/counts when the wire says, else 1). */
  chunkTokens: number[]
  /** True when chunkTokens came from explicit token ids/counts on the wire rather than 1-per-chunk. */
  tokensExplicit: boolean
  /** Arrival time of the first chunk with non-reasoning output (differs from chunkTimes[0] when reasoning came first). */
  tFirstContent?: number
  reasoningTokens?: number
  server: ServerTimings
  /** Generated text; kept only when DEBUG is on or the caller asks. */
  text?: string
}

/**
 * Everything about one bench case (one CSV row). The metric fields (ttftMs, itlMs, tpotMs, e2eMs, queueMs,
 * decodeTokPerSec*, tokensPerSec + tokensPerSecSource, token totals, wallMs, throughputs…) come from the
 * metric registry (helpers/metrics/registry.ts), one descriptor each.
 */
export interface CaseSummary extends MetricValues {
  caseName: string
  /** vitest full name including describe path and file. */
  fullName: string
  file: string
  stack: string
  model: string
  counts: { requests: number; warmup: number; ok: number; failed: number; byOutcome: Partial<Record<Outcome, number>> }
  /** Reasons this case must fail the run (zero samples, all failed, client-bound…). */
  failures: Failure[]
  warnings: string[]
  incomplete: boolean
  /** The client's own timing health during the measured phase (self-calibration). */
  clientHealth?: {
    loopDelayP50Ms: number
    loopDelayP99Ms: number
    loopDelayMaxMs: number
    dispatchLagP99Ms: number
    /** The longest event-loop stall each measured request lived through, over the case's requests (ms). */
    requestStallMs?: { p50: number | null; p99: number | null; max: number | null }
    /** Percentiles (p90/p95/p99) a stall could have moved while the medians stand: flagged, not failed (client-health.ts). */
    stallMoved?: { stats: string[]; note: string }
  }
  /** Load cases only (concurrency > 1, a request rate, a duration, a preset or trials): the serving view. */
  load?: LoadSummary
  /** Requests that met every SLO set (BENCH_SLO_TTFT_MS / _TPOT_MS / _E2E_MS); absent when none is set. */
  goodput?: GoodputSummary
  /** Extra sections attached by case hooks (helpers/case-hooks.ts: server metrics, GPU power, …), by name. */
  sections?: Record<string, unknown>
  /** Multi-turn, shared-prefix and trace cases, and the prefix cache wherever the server reports it. */
  workload?: WorkloadReport
  /** Capacity cases: the highest request rate sustained inside the SLO, and every probe of the search. */
  capacity?: CapacitySummary
}

/** Prompt tokens the server served from its prefix cache (llama-server timings.cache_n, usage.prompt_tokens_details.cached_tokens). */
export interface PrefixCacheSummary {
  /** Measured ok requests whose response said how many prompt tokens came from the cache. */
  reported: number
  /** Of those, requests with at least one cached token. */
  hits: number
  cachedTokens: Dist
  /** Σ cached / Σ prompt tokens over the reporting requests. */
  hitRatio: number
}

/** One turn position of a multi-turn case: what turn k cost across all conversations. */
export interface TurnStat {
  turn: number
  requests: number
  ok: number
  ttftP50Ms: number | null
  ttftMeanMs: number | null
  e2eP50Ms: number | null
  /** Prompt tokens as the server counted them (the history grows turn by turn). */
  promptTokensMean: number | null
  outputTokensMean: number | null
  /** Mean cached prompt tokens and cached share of the prompt; null when the server does not say. */
  cachedTokensMean: number | null
  hitRatio: number | null
}

export interface WorkloadReport {
  kind: 'fixed' | 'synthetic' | 'sharegpt' | 'shared-prefix' | 'trace' | 'conversation'
  prefixCache?: PrefixCacheSummary
  sharedPrefix?: { groups: number; prefixTokens: number; suffixTokens: number }
  conversation?: {
    conversations: number
    /** Conversations whose every turn finished ok. */
    completed: number
    users: number
    history: 'returned' | 'recorded'
    thinkTimeS: number
    source: 'synthetic' | 'sharegpt'
    turns: TurnStat[]
  }
  trace?: {
    file: string
    format: 'azure-csv' | 'burstgpt-csv' | 'mooncake-jsonl'
    requests: number
    timeScale: number
    /** Scaled span of the replayed part, and its mean request rate. */
    spanS: number
    meanRate: number
    /** Requests whose lengths were clamped (maxInputTokens / maxOutputTokens). */
    clamped: number
    /** BurstGPT rows of failed requests (0 response tokens), left out of the replay. */
    failedRows?: number
    /** Mooncake hash_ids as prompt blocks: tokens per block, distinct blocks, requests whose first block an earlier one had. */
    blocks?: { blockTokens: number; distinct: number; sharedFirst: number }
    /** Send time − scheduled time (ms): the scheduler's release lag plus building and writing the request. */
    sendLagMs: Dist
    /** Share of requests sent within 5 ms of schedule. */
    within5Ms: number
  }
}

/** One probe of a capacity search: a point of the throughput–latency curve and its verdict. */
export interface CapacityProbe {
  index: number
  rate: number
  achievedRate: number | null
  requests: number
  ok: number
  /** Share of requests that met every SLO set (ok requests when none is set). */
  goodFraction: number
  requestThroughput: number
  outputTokPerSec: number
  ttftP50Ms: number | null
  e2eP50Ms: number | null
  e2eP95Ms: number | null
  /** Median E2E of the first and of the last third of releases: a queue still filling shows here. */
  e2eFirstThirdP50Ms: number | null
  e2eLastThirdP50Ms: number | null
  /** Mean requests in flight over the arrival window, and that over (achieved rate × mean E2E). */
  inFlightMean: number
  littleRatio: number | null
  pass: boolean
  /** Why it failed (empty when it passed). */
  reasons: string[]
  durationS: number
}

export interface CapacitySummary {
  /** Highest probed rate that passed (requests/s); null when none did. */
  maxRequestRate: number | null
  /** Lowest failing rate above it; null when nothing failed up to the search's maximum. */
  failedAt: number | null
  /** Output tokens/s and mean requests in flight at maxRequestRate. */
  outputTokPerSec: number | null
  inFlight: number | null
  e2eP50Ms: number | null
  resolutionPct: number
  slo: SloSpec
  minGoodFraction: number
  probeS: number
  budgetS: number
  /** Wall time of the whole search. */
  durationS: number
  stoppedBy: 'resolution' | 'budget' | 'max-rate' | 'min-rate'
  probes: CapacityProbe[]
}

/** Service-level objectives a request must meet to count as good (ms; unset = not judged). */
export interface SloSpec {
  ttftMs?: number
  tpotMs?: number
  e2eMs?: number
}

export interface GoodputSummary {
  slo: SloSpec
  /** Measured requests that finished ok and met every SLO set. */
  good: number
  total: number
  /** good / total (failed requests count as not good). */
  fraction: number
  /** Good requests per second over the steady-state window (load cases) or the measured wall time. */
  requestsPerSec: number
}

/** Throughput over an interval; requests are counted by the share of their lifetime inside it, tokens by their arrival time. */
export interface WindowThroughput {
  /** ms since the measured phase started. */
  startMs: number
  endMs: number
  durationMs: number
  /** Requests in flight at some point of the window. */
  requests: number
  requestThroughput: number
  outputTokenThroughput: number
  /** (prompt + output) tokens/s; a prompt's tokens count when its first output token arrives. */
  totalTokenThroughput: number
}

/** 95% confidence interval of a metric across trials (Student t on the trial values). */
export interface TrialCi {
  mean: number
  lo: number
  hi: number
  halfWidth: number
}

export interface TrialStat {
  trial: number
  requests: number
  ok: number
  requestThroughput: number
  outputTokenThroughput: number
  totalTokenThroughput: number
  goodputPerSec: number | null
  ttftP50Ms: number | null
  tpotP50Ms: number | null
  e2eP50Ms: number | null
  achievedRate: number | null
}

export interface LoadSummary {
  mode: 'closed' | 'open'
  /** Closed loop: streams; open loop: the concurrency cap, if any. */
  concurrency?: number
  targetRate?: number
  arrival?: 'poisson' | 'constant' | 'trace'
  rampUpS: number
  durationS?: number
  /** Request budget per trial, when bounded by count. */
  requestBudget?: number
  preset?: string
  trials: number
  /** Interval in which the full load was applied (closed: all streams busy; open: arrivals at full rate), trials pooled. */
  steadyState: WindowThroughput | null
  /** Requests released per second during the steady state vs what the arrival schedule asked for (open loop). */
  achievedRate?: number
  scheduledRate?: number
  /** (achieved / target − 1) in %, and whether it is beyond ±5%. */
  rateMissPct?: number
  rateMissed?: boolean
  /** Failed / measured requests. */
  errorRate: number
  aborted: boolean
  abortReason?: string
  /**
   * The open loop was past saturation (load/saturation.ts): its queue grew without bound, so it was stopped early;
   * its figures are no steady state. afterS: arrival time (s into the level) of the latest request when it stopped.
   */
  saturation?: { afterS: number; riseMs: number; inFlight: number; reason: string }
  /** How late the client released requests past the moment they were allowed to go. */
  dispatchLagMs: Dist
  /** Time requests waited behind this client's concurrency cap or dispatch lag (= queueMs, run phase). */
  clientQueueMs: Dist
  maxInFlight: number
  eventLoopDelay: { p50Ms: number; p99Ms: number; maxMs: number }
  clientBound: boolean
  prompts: {
    source: WorkloadReport['kind']
    /** Prompt lengths in tokens as measured before sending. */
    inputTokens: Dist
    /** 'tokenizer': counted by the server's /tokenize; 'estimate': a calibrated word estimate; 'server': usage.prompt_tokens only. */
    lengthSource: 'tokenizer' | 'estimate' | 'server'
    outputTokensRequested: Dist
    /** Whether the output length was forced (ignore_eos / min_tokens) or only capped. */
    outputForced: boolean
    forcedBy: string
  }
  trialStats?: TrialStat[]
  /** 95% CI across trials (present when trials > 1). */
  ci95?: Partial<
    Record<'requestThroughput' | 'outputTokenThroughput' | 'totalTokenThroughput' | 'goodputPerSec' | 'ttftP50Ms' | 'tpotP50Ms' | 'e2eP50Ms', TrialCi>
  >
}

/** The CSV16 row fields that are not metrics: where and how the case ran. */
export interface RowContext {
  endpoint: string // host:port
  unit: 'proc' | 'external'
  suffix: 'A' | 'B' | 'MULTI' | 'X'
  baseModel: string
  variantLabel: 'base-as-is' | 'optimized' | 'published'
  modelTag: string
  numGpu: string // layers or 'default'
  numCtx: number
  batch: number
  numPredict: number
  gpuLabel: string
  gpuName: string
  gpuUuid: string
  gpuMemMib: string
}

/** What llmBench attaches to vitest's task.meta.fuze; reporters read it in the main process. */
export interface CaseMeta {
  runDir: string
  summary: CaseSummary
  row: RowContext
  /** Timestamp (ISO with offset) the case finished. */
  finishedAt: string
}

declare module 'vitest' {
  interface TaskMeta {
    fuze?: CaseMeta
    /** A bench that measures several variants (sweeps): one CSV row each, in order. */
    fuzeVariants?: CaseMeta[]
    fuzeSkip?: string
  }
}
