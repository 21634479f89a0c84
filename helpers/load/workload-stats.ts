// Summaries only these workloads have, folded request by request like the rest of a case (bounded state):
// prefix-cache reuse as the server reports it, and per-turn figures of multi-turn cases.
import { QuantileAcc } from '../metrics/sketch.ts'
import type { PrefixCacheSummary, RequestRecord, TurnStat } from '../types.ts'

/**
 * Most of a case's prompt tokens a server may answer from its prefix cache when the case asked for fresh prompts
 * (no cachePrompt, no shared prefix): above it TTFT measured a cache lookup, not a prefill.
 */
export const PREFIX_CACHE_HIT_LIMIT = 0.1

/** The verdict's flag on a case that asked for fresh prompts but whose server answered them from its cache. */
export function prefixCacheWarning(pc: PrefixCacheSummary | undefined): string | undefined {
  if (pc === undefined || !(pc.hitRatio > PREFIX_CACHE_HIT_LIMIT)) return undefined
  return `prefix cache: the server reported ${(pc.hitRatio * 100).toFixed(1)}% of prompt tokens cached (limit ${PREFIX_CACHE_HIT_LIMIT * 100}%) although the case asked for fresh prompts, so TTFT partly measured cache lookups, not prefills; set cachePrompt: true if reuse is the point, else report this (prompts are seeded per case and level)`
}

/** Cached prompt tokens of measured ok requests, where the server said (timings.cache_n, usage…cached_tokens). */
export class PrefixCacheAcc {
  private reported = 0
  private hits = 0
  private prompt = 0
  private cachedSum = 0
  private readonly cached = new QuantileAcc()

  add(r: RequestRecord): void {
    const c = r.server.cachedPromptTokens
    if (r.phase !== 'run' || r.outcome !== 'ok' || c === undefined) return
    this.reported++
    if (c > 0) this.hits++
    this.cached.add(c)
    this.cachedSum += c
    this.prompt += r.promptTokensServer ?? 0
  }

  /** Undefined when no request carried a cached-token count (the server does not report it). */
  result(): PrefixCacheSummary | undefined {
    if (this.reported === 0) return undefined
    return { reported: this.reported, hits: this.hits, cachedTokens: this.cached.dist(), hitRatio: this.prompt > 0 ? this.cachedSum / this.prompt : 0 }
  }
}

class OneTurn {
  requests = 0
  ok = 0
  readonly ttft = new QuantileAcc()
  readonly e2e = new QuantileAcc()
  prompt = 0
  promptN = 0
  output = 0
  cachedN = 0
  cached = 0
  cachedPrompt = 0
}

/** Per-turn TTFT, E2E, prompt/output/cached tokens of a multi-turn case. */
export class TurnAcc {
  private readonly turns = new Map<number, OneTurn>()

  add(turn: number, r: RequestRecord): void {
    let t = this.turns.get(turn)
    if (!t) this.turns.set(turn, (t = new OneTurn()))
    t.requests++
    if (r.outcome !== 'ok') return
    t.ok++
    if (r.ttftMs !== null) t.ttft.add(r.ttftMs)
    if (r.e2eMs !== null) t.e2e.add(r.e2eMs)
    if (r.promptTokensServer !== null) {
      t.prompt += r.promptTokensServer
      t.promptN++
    }
    t.output += r.outputTokens
    const c = r.server.cachedPromptTokens
    if (c !== undefined) {
      t.cachedN++
      t.cached += c
      t.cachedPrompt += r.promptTokensServer ?? 0
    }
  }

  result(): TurnStat[] {
    return [...this.turns.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([turn, t]) => {
        const ttft = t.ttft.dist()
        return {
          turn,
          requests: t.requests,
          ok: t.ok,
          ttftP50Ms: ttft.p50,
          ttftMeanMs: ttft.mean,
          e2eP50Ms: t.e2e.dist().p50,
          promptTokensMean: t.promptN > 0 ? t.prompt / t.promptN : null,
          outputTokensMean: t.ok > 0 ? t.output / t.ok : null,
          cachedTokensMean: t.cachedN > 0 ? t.cached / t.cachedN : null,
          hitRatio: t.cachedN > 0 && t.cachedPrompt > 0 ? t.cached / t.cachedPrompt : null,
        }
      })
  }
}
