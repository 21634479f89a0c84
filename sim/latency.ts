// The latency model, pure so it can be tested without a clock:
//   TTFT = (ttftMs + perPromptTokenMs * promptTokens) * slowdown
//   gap before a chunk of k tokens = k * itlMs * slowdown + uniform(±itlJitterMs)   (never < 0)
//   slowdown = 1 + concurrencySlowdown * (active - 1)
import { rngFor } from './rng.ts'
import type { SimConfig } from './types.ts'

type Model = Pick<SimConfig, 'ttftMs' | 'perPromptTokenMs' | 'itlMs' | 'itlJitterMs' | 'concurrencySlowdown' | 'seed'>

export function slowdown(cfg: Pick<SimConfig, 'concurrencySlowdown'>, active: number): number {
  return 1 + cfg.concurrencySlowdown * Math.max(0, active - 1)
}

export function ttftMs(cfg: Model, promptTokens: number, active: number): number {
  return (cfg.ttftMs + cfg.perPromptTokenMs * promptTokens) * slowdown(cfg, active)
}

/** Gap before each successive chunk; the jitter stream is seeded by (seed, request id). */
export function gapSampler(cfg: Model, requestId: string): (tokens: number, active: number) => number {
  const jitter = rngFor(cfg.seed, `itl:${requestId}`)
  return (tokens, active) => {
    const base = tokens * cfg.itlMs * slowdown(cfg, active)
    const j = cfg.itlJitterMs > 0 ? (jitter() * 2 - 1) * cfg.itlJitterMs : 0
    return Math.max(0, base + j)
  }
}
