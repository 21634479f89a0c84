// The capacity search's pure parts: bracketing and bisection against probes of a known pass/fail boundary, the
// probe verdict on records of a stable and of a filling queue, and the exact-rate Poisson probe schedule.
import { describe, expect, it } from 'vitest'
import { judgeProbe, probeCannotPass, probeOffsets, searchCapacity, type ProbeInput } from '../../helpers/load/capacity.ts'
import { rateCheck } from '../../helpers/metrics/load.ts'
import type { CapacityProbe, RequestRecord } from '../../helpers/types.ts'

function verdict(rate: number, pass: boolean, index: number): CapacityProbe {
  return {
    index,
    rate,
    achievedRate: rate,
    requests: 10,
    ok: 10,
    goodFraction: pass ? 1 : 0.5,
    requestThroughput: rate,
    outputTokPerSec: rate * 10,
    ttftP50Ms: 1,
    e2eP50Ms: 1,
    e2eP95Ms: 1,
    e2eFirstThirdP50Ms: 1,
    e2eLastThirdP50Ms: 1,
    inFlightMean: 1,
    littleRatio: 1,
    pass,
    reasons: pass ? [] : ['x'],
    durationS: 1,
  }
}

const boundary = (truth: number) => async (rate: number, i: number) => verdict(rate, rate <= truth, i)

describe('searchCapacity', () => {
  it('doubles from the start rate until a probe fails, then bisects to the resolution', async () => {
    const r = await searchCapacity(boundary(11.1), { startRate: 2.78, resolutionPct: 5, minRate: 0.01, maxRate: 1e4, timeLeft: () => true })
    // 2.78 and 5.56 pass, 11.12 fails: then geometric midpoints of the bracket
    expect(r.probes.slice(0, 4).map((p) => Number(p.rate.toFixed(3)))).toEqual([2.78, 5.56, 11.12, Number(Math.sqrt(5.56 * 11.12).toFixed(3))])
    expect(r.stoppedBy).toBe('resolution')
    expect(r.maxRequestRate).toBeLessThanOrEqual(11.1)
    expect(r.failedAt! / r.maxRequestRate! - 1).toBeLessThanOrEqual(0.05)
    expect(r.maxRequestRate).toBeGreaterThan(11.1 / 1.05)
  })

  it('halves from a failing start rate until one passes', async () => {
    const r = await searchCapacity(boundary(0.7), { startRate: 8, resolutionPct: 5, minRate: 0.01, maxRate: 1e4, timeLeft: () => true })
    expect(r.probes.slice(0, 5).map((p) => p.rate)).toEqual([8, 4, 2, 1, 0.5])
    expect(r.maxRequestRate).toBeGreaterThan(0.7 / 1.05)
    expect(r.maxRequestRate).toBeLessThanOrEqual(0.7)
  })

  it('stops at the budget with the bracket it has, and at the bounds of the search', async () => {
    let left = 3
    const r = await searchCapacity(boundary(11.1), { startRate: 2, resolutionPct: 5, minRate: 0.01, maxRate: 1e4, timeLeft: () => left-- > 0 })
    expect(r).toMatchObject({ stoppedBy: 'budget', maxRequestRate: 8, failedAt: null })
    expect(r.probes).toHaveLength(3)
    expect(await searchCapacity(boundary(1e9), { startRate: 2, resolutionPct: 5, minRate: 0.01, maxRate: 16, timeLeft: () => true })).toMatchObject({
      stoppedBy: 'max-rate',
      maxRequestRate: 16,
    })
    expect(await searchCapacity(boundary(0), { startRate: 1, resolutionPct: 5, minRate: 0.25, maxRate: 16, timeLeft: () => true })).toMatchObject({
      stoppedBy: 'min-rate',
      maxRequestRate: null,
      failedAt: 0.25,
    })
    await expect(searchCapacity(boundary(1), { startRate: 0, resolutionPct: 5, minRate: 0.01, maxRate: 16, timeLeft: () => true })).rejects.toThrow(
      "capacity search needs a start rate > 0 requests/s, got 0: fix the case's capacity.startRate option.",
    )
  })
})

describe('probeOffsets', () => {
  it('gives round(rate × T) Poisson-spread arrivals whose measured rate is the target', () => {
    for (const rate of [0.5, 3, 11.1, 40]) {
      const o = probeOffsets(rate, 10_000, 7)
      expect(o).toHaveLength(Math.max(3, Math.round(rate * 10)))
      expect(o[0]).toBe(0)
      expect(Math.abs(rateCheck(rate, o, o)!.rateMissPct)).toBeLessThan(1e-6)
      const gaps = o.slice(1).map((t, i) => t - o[i])
      // exponential-like gaps: far from constant spacing
      if (o.length > 20) expect(Math.max(...gaps) / Math.min(...gaps)).toBeGreaterThan(10)
    }
  })
})

/** Records of an M/D/1-like run: request i released at i·gap ms, taking service + wait(i) ms. */
function records(n: number, gapMs: number, e2e: (i: number) => number, ok = (_i: number) => true): { recs: RequestRecord[]; offsets: number[] } {
  const offsets = Array.from({ length: n }, (_, i) => i * gapMs)
  const recs = offsets.map((t, i) => ({
    id: String(i),
    caseName: 'c',
    phase: 'run',
    outcome: ok(i) ? 'ok' : 'http_error',
    startedAt: '',
    tStartMs: t,
    queueMs: 0,
    ttftMs: 10,
    ttfotMs: 10,
    e2eMs: e2e(i),
    tpotMs: 1,
    itlMs: [],
    chunkGapsMs: [],
    outputTokensServer: 1,
    outputTokensClient: 1,
    outputTokens: 1,
    promptTokensServer: 5,
    tokenCountMismatch: false,
    decodeTokPerSecClient: null,
    decodeTokPerSecServer: null,
    server: {},
  })) as RequestRecord[]
  return { recs, offsets }
}

function input(n: number, gapMs: number, e2e: (i: number) => number, more: Partial<ProbeInput> = {}): ProbeInput {
  const { recs, offsets } = records(n, gapMs, e2e)
  return {
    rate: 1000 / gapMs,
    records: recs,
    dueOffsetsMs: offsets,
    releaseOffsetsMs: offsets,
    slo: { e2eMs: 1500 },
    minGoodFraction: 0.95,
    maxClimb: 1.5,
    promptTokens: () => 5,
    ...more,
  }
}

describe('judgeProbe', () => {
  it('passes a stable queue and finds Little’s law in it', () => {
    const p = judgeProbe(
      1,
      input(100, 100, (i) => 360 + (i % 5) * 10),
      10,
    )
    expect(p.reasons).toEqual([])
    expect(p.pass).toBe(true)
    expect(p.littleRatio!).toBeGreaterThan(0.9)
    expect(p.inFlightMean).toBeCloseTo((10 * 380) / 1000, 0)
  })

  it('fails a queue that is still filling even when every request met the SLO', () => {
    const p = judgeProbe(
      2,
      input(120, 83, (i) => 360 + i * 9),
      10,
    )
    expect(p.goodFraction).toBe(1)
    expect(p.pass).toBe(false)
    expect(p.reasons.join('\n')).toMatch(/^latency still climbing: E2E p50 went from \d+ ms \(first third\) to \d+ ms \(last third\), more than ×1.5/m)
  })

  it('fails on goodput, on a missed rate and on an abort, saying why', () => {
    const slow = judgeProbe(
      3,
      input(50, 100, (i) => (i % 10 === 0 ? 2000 : 400)),
      5,
    )
    expect(slow.reasons).toContain('goodput 90.0% of requests met the SLO (need 95%)')
    const lagging = judgeProbe(4, { ...input(50, 100, () => 400), releaseOffsetsMs: Array.from({ length: 50 }, (_, i) => i * 120) }, 5)
    expect(lagging.reasons[0]).toMatch(/^achieved rate 8\.33\/s is -16\.7% off the target \(limit ±5%\)/)
    expect(
      judgeProbe(
        5,
        input(50, 100, () => 400, { aborted: 'stopped early: x' }),
        5,
      ).reasons,
    ).toEqual(['stopped early: x'])
  })

  it('probeCannotPass stops a probe once more requests missed the SLO than it may lose', () => {
    const check = probeCannotPass(100, 0.95, { e2eMs: 1500 })
    const { recs } = records(10, 10, (i) => (i < 6 ? 2000 : 100))
    // fed one finished request at a time: the sixth miss is one too many
    expect(recs.slice(0, 5).map((r) => check(r))).toEqual([undefined, undefined, undefined, undefined, undefined])
    expect(check(recs[5])).toBe('stopped early: 6 of 100 requests already missed the SLO or failed (at most 5 may)')
  })
})
