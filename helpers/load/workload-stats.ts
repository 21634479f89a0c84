// Summaries only these workloads have: prefix-cache reuse as the server reports it, and per-turn figures of
// multi-turn cases. Pure functions of records.
import { dist } from '../metrics/dist.ts'
import type { PrefixCacheSummary, RequestRecord, TurnStat } from '../types.ts'

/** Undefined when no measured ok request carried a cached-token count (the server does not report it). */
export function prefixCacheOf(records: readonly RequestRecord[]): PrefixCacheSummary | undefined {
  const rep = records.filter((r) => r.phase === 'run' && r.outcome === 'ok' && r.server.cachedPromptTokens !== undefined)
  if (rep.length === 0) return undefined
  const cached = rep.map((r) => r.server.cachedPromptTokens ?? 0)
  const prompt = rep.reduce((a, r) => a + (r.promptTokensServer ?? 0), 0)
  const sum = cached.reduce((a, b) => a + b, 0)
  return { reported: rep.length, hits: cached.filter((c) => c > 0).length, cachedTokens: dist(cached), hitRatio: prompt > 0 ? sum / prompt : 0 }
}

export function turnStats(records: readonly RequestRecord[], turnOf: (r: RequestRecord) => number | undefined): TurnStat[] {
  const byTurn = new Map<number, RequestRecord[]>()
  for (const r of records) {
    const t = r.phase === 'run' ? turnOf(r) : undefined
    if (t === undefined) continue
    let list = byTurn.get(t)
    if (!list) byTurn.set(t, (list = []))
    list.push(r)
  }
  const mean = (xs: number[]) => dist(xs).mean
  return [...byTurn.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([turn, rs]) => {
      const ok = rs.filter((r) => r.outcome === 'ok')
      const ttft = ok.map((r) => r.ttftMs ?? NaN)
      const withCache = ok.filter((r) => r.server.cachedPromptTokens !== undefined)
      const promptSum = withCache.reduce((a, r) => a + (r.promptTokensServer ?? 0), 0)
      const cachedSum = withCache.reduce((a, r) => a + (r.server.cachedPromptTokens ?? 0), 0)
      return {
        turn,
        requests: rs.length,
        ok: ok.length,
        ttftP50Ms: dist(ttft).p50,
        ttftMeanMs: mean(ttft),
        e2eP50Ms: dist(ok.map((r) => r.e2eMs ?? NaN)).p50,
        promptTokensMean: mean(ok.map((r) => r.promptTokensServer ?? NaN)),
        outputTokensMean: mean(ok.map((r) => r.outputTokens)),
        cachedTokensMean: withCache.length > 0 ? cachedSum / withCache.length : null,
        hitRatio: withCache.length > 0 && promptSum > 0 ? cachedSum / promptSum : null,
      }
    })
}
