// The schedulers against a real simulator process: what they promise about concurrency, counts, durations and
// aborts is checked on the wire (the simulator's own counters), not on a stand-in.
import { constants, PerformanceObserver } from 'node:perf_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendOne } from '../../helpers/case-run.ts'
import { runSchedule, type Sender } from '../../helpers/load/scheduler.ts'
import { errorRateAbort } from '../../helpers/load/run-load.ts'
import { simRef, useTempRunDir, type SimRef } from './sim-ref.ts'

const ident = { caseName: 'sched', fullName: 'sched', file: 'scheduler.test' }
let s: SimRef
let bad: SimRef
beforeAll(async () => {
  useTempRunDir()
  ;[s, bad] = await Promise.all([
    simRef({ ttftMs: 30, itlMs: 10, maxSeqs: 64 }),
    simRef({ ttftMs: 5, itlMs: 5 }, 'openai-completions', { failRate: 1, status: 503 }),
  ])
})
afterAll(async () => {
  await s?.close()
  await bad?.close()
})

const sender =
  (ref: SimRef, t0: number): Sender =>
  (slot) =>
    sendOne(ref.server, { numPredict: 3 }, ident, 'run', t0, slot.tDue, { signal: slot.signal })

describe('closed loop', () => {
  it('never has more than c requests in flight, on the client or at the server, and sends exactly the count', async () => {
    const before = await s.stats()
    const res = await runSchedule({ mode: 'closed', concurrency: 3 }, { count: 10 }, sender(s, performance.now()))
    const after = await s.stats()
    expect(res.records).toHaveLength(10)
    expect(res.maxInFlight).toBe(3)
    expect(after.requests - before.requests).toBe(10)
    expect(after.maxActive).toBeLessThanOrEqual(Math.max(before.maxActive, 3))
    expect(res.steady).not.toBeNull()
    expect(res.records.every((r) => r.outcome === 'ok')).toBe(true)
  })

  it('a duration bound releases nothing after it', async () => {
    const res = await runSchedule({ mode: 'closed', concurrency: 2 }, { durationMs: 400 }, sender(s, performance.now()))
    expect(Math.max(...res.releaseOffsetsMs)).toBeLessThan(400)
    expect(res.records.length).toBeGreaterThanOrEqual(2)
  })

  it('ramp-up: stream w joins at w/c of the ramp', async () => {
    const res = await runSchedule({ mode: 'closed', concurrency: 4, rampUpS: 0.3 }, { count: 16 }, sender(s, performance.now()))
    // the steady state (all 4 busy) begins when the last stream joins at 3/4 of 300 ms
    expect(res.steady!.start - res.t0).toBeGreaterThanOrEqual(225)
    // before the second stream joins (75 ms) only the first one sends
    expect(res.releaseOffsetsMs.filter((t) => t < 75).length).toBeLessThanOrEqual(2)
    expect(res.maxInFlight).toBe(4)
  })
})

describe('early abort', () => {
  it('stops a case whose error rate passes the limit and cancels what is in flight', async () => {
    const res = await runSchedule({ mode: 'closed', concurrency: 2 }, { count: 200 }, sender(bad, performance.now()), errorRateAbort(0.5, 10))
    expect(res.aborted).toMatch(/^aborted: error rate 100% \(10 of 10 finished requests failed: http_error/)
    expect(res.records.length).toBeLessThan(20)
  })
})

describe('open loop', () => {
  it('collects garbage in the gaps between due times: the young generation never fills up on its own mid-phase', async () => {
    // each request leaves 256 KB of short-lived objects, as a client building bodies and parsing streams does: 30 MB
    // in all, so left alone the young generation fills up (and stops the process for ms) at whatever moment it does
    const gcs: Array<{ start: number; end: number; minor: boolean; forced: boolean }> = []
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const d = (e as PerformanceEntry & { detail?: { kind?: number; flags?: number } }).detail
        gcs.push({
          start: e.startTime,
          end: e.startTime + e.duration,
          minor: d?.kind === constants.NODE_PERFORMANCE_GC_MINOR,
          forced: ((d?.flags ?? 0) & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0,
        })
      }
    })
    obs.observe({ entryTypes: ['gc'] })
    const offsetsMs = Array.from({ length: 120 }, (_, i) => i * 25)
    const t0 = performance.now()
    let sink = 0
    const res = await runSchedule({ mode: 'open', rate: 40, arrival: 'trace', offsetsMs }, { count: 120 }, (slot) => {
      const garbage = Array.from({ length: 4096 }, (_, j) => ({ j, s: `x${j}` }))
      sink += garbage.length
      return sendOne(s.server, { numPredict: 2 }, ident, 'run', t0, slot.tDue, { signal: slot.signal })
    })
    await new Promise((r) => setTimeout(r, 50)) // gc entries arrive asynchronously
    obs.disconnect()
    expect(sink).toBe(120 * 4096)
    expect(res.records.every((r) => r.outcome === 'ok')).toBe(true)
    const young = gcs.filter((g) => g.minor && g.end > res.t0 && g.start < res.tEnd)
    expect(young.filter((g) => g.forced).length).toBeGreaterThan(0)
    // a young collection that was not forced in a gap is one that could have stopped a release at its due time
    expect(young.filter((g) => !g.forced).map((g) => `${(g.end - g.start).toFixed(1)} ms at +${(g.start - res.t0).toFixed(0)} ms`)).toEqual([])
  })
})
