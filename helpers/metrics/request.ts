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

/**
 * Per-token inter-token latencies. A chunk gap is spread evenly over the tokens that chunk carried.
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
    const gap = (chunkTimes[i] - chunkTimes[i - 1]) / k
    for (let j = 0; j < k; j++) out.push(gap)
  }
  return out
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
  const chunkGaps: number[] = []
  for (let i = 1; i < obs.chunkTimes.length; i++) chunkGaps.push(obs.chunkTimes[i] - obs.chunkTimes[i - 1])
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
    itlMs: ok ? perTokenItl(obs, serverTokens) : [],
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
