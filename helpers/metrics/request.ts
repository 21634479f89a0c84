// StreamObservation (what the wire showed) → RequestRecord (what statistics use). docs/design.md "Measurement rules".
import type { RequestRecord, StreamObservation } from '../types.ts'

export interface RecordContext {
  id: string
  caseName: string
  phase: 'warmup' | 'run'
  /** performance.now() when the case started (timeline origin). */
  caseT0: number
  /** performance.now() when the request became due (before any client-side queueing). */
  tDue?: number
}

/** ms rounded to the microsecond: the resolution requests.jsonl keeps per-token times at (recordJson writes them fast). */
export const toMicros = (ms: number) => Math.round(ms * 1000) / 1000

/**
 * Per-token inter-token latencies (ms, to the µs). A chunk gap is spread evenly over the tokens that chunk carried.
 * When the wire gave no counts but the server's total is larger than the chunk count, the surplus is spread
 * evenly over the chunks so the per-token list still has one entry per generated token after the first.
 */
export function perTokenItl(obs: StreamObservation, serverTokens: number | null): number[] {
  const { chunkTimes } = obs
  const n = chunkTimes.length
  if (n < 2) return []
  let tokens: number[] = obs.chunkTokens
  if (!obs.tokensExplicit && serverTokens !== null && serverTokens > n) {
    // first chunk keeps 1 token; the rest share the remaining tokens
    const perChunk = (serverTokens - 1) / (n - 1)
    tokens = [1]
    let carried = 0
    for (let i = 1; i < n; i++) {
      carried += perChunk
      const k = Math.max(1, Math.round(carried))
      carried -= k
      tokens.push(k)
    }
  }
  const out: number[] = []
  for (let i = 1; i < n; i++) {
    const k = Math.max(1, tokens[i] ?? 1)
    const gap = toMicros((chunkTimes[i] - chunkTimes[i - 1]) / k)
    for (let j = 0; j < k; j++) out.push(gap)
  }
  return out
}

/** Whether every chunk after the first carried exactly one token: the per-token ITLs are then the chunk gaps. */
function oneTokenPerChunk(obs: StreamObservation, serverTokens: number | null): boolean {
  const n = obs.chunkTimes.length
  if (!obs.tokensExplicit && serverTokens !== null && serverTokens > n) return false
  const t = obs.chunkTokens
  for (let i = 1; i < n; i++) if ((t[i] ?? 1) > 1) return false
  return true
}

export function toRecord(obs: StreamObservation, ctx: RecordContext): RequestRecord {
  const clientTokens = obs.chunkTokens.reduce((a, b) => a + b, 0)
  const serverTokens = obs.server.outputTokens ?? null
  const outputTokens = serverTokens ?? clientTokens
  const first = obs.chunkTimes[0]
  const last = obs.chunkTimes[obs.chunkTimes.length - 1]
  const ttft = first !== undefined ? first - obs.tSend : null
  const ttfot = obs.tFirstContent !== undefined ? obs.tFirstContent - obs.tSend : ttft
  const e2e = obs.tEnd - obs.tSend
  const ok = obs.outcome === 'ok'
  const tpot = ok && ttft !== null && outputTokens > 1 ? (e2e - ttft) / (outputTokens - 1) : null
  const decodeSpan = first !== undefined && last !== undefined ? last - first : 0
  const decodeClient = ok && decodeSpan > 0 && outputTokens > 1 ? ((outputTokens - 1) * 1000) / decodeSpan : null
  const s = obs.server
  const decodeServer = s.decodeTokPerSec ?? (s.outputTokens !== undefined && s.decodeMs && s.decodeMs > 0 ? (s.outputTokens * 1000) / s.decodeMs : null)
  const times = obs.chunkTimes
  // sized once: growing it by push left twice its size in garbage per request
  const chunkGaps = new Array<number>(Math.max(0, times.length - 1))
  for (let i = 1; i < times.length; i++) chunkGaps[i - 1] = toMicros(times[i] - times[i - 1])
  // one token per chunk (vLLM, SGLang, TGI streams): the same values, so one array serves both fields (recordJson
  // then writes it once); records are never mutated after this
  const itl = !ok ? [] : oneTokenPerChunk(obs, serverTokens) ? chunkGaps : perTokenItl(obs, serverTokens)
  const tDue = ctx.tDue ?? obs.tSend
  return {
    id: ctx.id,
    caseName: ctx.caseName,
    phase: ctx.phase,
    outcome: obs.outcome,
    ...(obs.error !== undefined ? { error: obs.error } : {}),
    ...(obs.httpStatus !== undefined ? { httpStatus: obs.httpStatus } : {}),
    ...(obs.bodyExcerpt !== undefined ? { bodyExcerpt: obs.bodyExcerpt } : {}),
    startedAt: new Date(performance.timeOrigin + obs.tSend).toISOString(),
    tStartMs: obs.tSend - ctx.caseT0,
    queueMs: Math.max(0, obs.tSend - tDue),
    ttftMs: ttft,
    ttfotMs: ttfot,
    e2eMs: e2e,
    tpotMs: tpot,
    itlMs: itl,
    chunkGapsMs: chunkGaps,
    outputTokensServer: serverTokens,
    outputTokensClient: clientTokens,
    outputTokens,
    promptTokensServer: s.promptTokens ?? null,
    tokenCountMismatch: serverTokens !== null && serverTokens !== clientTokens,
    decodeTokPerSecClient: decodeClient,
    decodeTokPerSecServer: ok ? decodeServer : null,
    server: s,
  }
}

// the fraction of a µs-rounded ms value as bytes: ".001" … ".999" without trailing zeros, nothing for 0
const FRACTION_BYTES = Array.from({ length: 1000 }, (_, i) =>
  i === 0 ? new Uint8Array(0) : new Uint8Array(Buffer.from(`.${String(i).padStart(3, '0').replace(/0+$/, '')}`, 'latin1')),
)
const COMMA = 0x2c
const DIGIT_0 = 0x30
/** Scratch bytes msListJson writes a list into (grown as needed, reused: one string is made per list). */
let scratch = Buffer.allocUnsafe(16 * 1024)

/** Room for `more` bytes at `at` in the scratch buffer. */
function ensure(at: number, more: number): void {
  if (at + more <= scratch.length) return
  const next = Buffer.allocUnsafe(Math.max(scratch.length * 2, at + more))
  scratch.copy(next, 0, 0, at)
  scratch = next
}

/**
 * A list of ms values as JSON, the same value after JSON.parse as JSON.stringify gives (and the same text for
 * µs-rounded values, toMicros; any other value is written by String(), as JSON.stringify would). The digits go
 * straight into a reused byte buffer and one string is made at the end: building the text by string concatenation
 * allocated two or three strings per token, the largest share of the product path's garbage.
 */
export function msListJson(xs: readonly number[]): string {
  let at = 0
  ensure(0, 2)
  scratch[at++] = 0x5b // [
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]
    ensure(at, 32)
    if (i > 0) scratch[at++] = COMMA
    const u = Math.round(v * 1000)
    if (u / 1000 === v && u >= 0 && u < 1e15) {
      const w = Math.floor(u / 1000)
      at = writeWhole(w, at)
      const f = FRACTION_BYTES[u - w * 1000]
      for (let k = 0; k < f.length; k++) scratch[at++] = f[k]
    } else at += scratch.write(Number.isFinite(v) ? String(v) : 'null', at, 'latin1')
  }
  ensure(at, 1)
  scratch[at++] = 0x5d // ]
  return scratch.toString('latin1', 0, at)
}

/** The decimal digits of a whole number 0 ≤ w < 1e12 at `at`; returns the end. */
function writeWhole(w: number, at: number): number {
  if (w < 10) {
    scratch[at] = DIGIT_0 + w
    return at + 1
  }
  let digits = 1
  for (let p = 10; p <= w; p *= 10) digits++
  let end = at + digits
  for (let x = w; end > at; x = Math.floor(x / 10)) scratch[--end] = DIGIT_0 + (x % 10)
  return at + digits
}

const NO_LIST: number[] = []
const LISTS = '"itlMs":[],"chunkGapsMs":[]'

/**
 * The record as one JSON object, the same value JSON.stringify(rec) gives, with its per-token lists written by
 * msListJson (and once when itlMs is chunkGapsMs): the per-request cost of requests.jsonl, on the hot path.
 * `head` replaces the opening brace (more fields first: `{"file":…,`).
 */
export function recordJson(rec: RequestRecord, head = '{'): string {
  const json = JSON.stringify({ ...rec, itlMs: NO_LIST, chunkGapsMs: NO_LIST })
  const at = json.indexOf(LISTS)
  // a record not shaped by toRecord (lists elsewhere in the key order): the plain way
  if (at < 0) return head + JSON.stringify(rec).slice(1)
  const itl = msListJson(rec.itlMs)
  const gaps = rec.chunkGapsMs === rec.itlMs ? itl : msListJson(rec.chunkGapsMs)
  return `${head}${json.slice(1, at)}"itlMs":${itl},"chunkGapsMs":${gaps}${json.slice(at + LISTS.length)}`
}
