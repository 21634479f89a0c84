// Self-calibration: the event-loop monitor sees a blocked loop, and the verdict names the bound it broke.
import { describe, expect, it } from 'vitest'
import { clientBoundVerdict, EventLoopMonitor } from '../../helpers/metrics/client-health.ts'

describe('EventLoopMonitor', () => {
  it('reports a loop blocked by synchronous work', async () => {
    const m = new EventLoopMonitor()
    m.start()
    // Let the sampling timer run a few periods, then hold the loop for 40 ms, then let it sample again.
    for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 2))
    const until = performance.now() + 40
    while (performance.now() < until) {
      // spin: this is the client being busy
    }
    for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 2))
    const s = m.stop()
    expect(s.samples).toBeGreaterThan(0)
    expect(s.maxMs).toBeGreaterThanOrEqual(30)
  })

  it('stop() without start() is all zeros', () => {
    expect(new EventLoopMonitor().stop()).toEqual({ p50Ms: 0, p99Ms: 0, maxMs: 0, samples: 0 })
  })
})

describe('clientBoundVerdict', () => {
  it('a quiet client is trustworthy', () => {
    expect(clientBoundVerdict({ loopDelayP99Ms: 0.4, dispatchLagP99Ms: 0.2, ttftP50Ms: 50, itlP50Ms: 10 })).toEqual({ clientBound: false })
  })

  it('typical loop delay above 10% of the ITL p50 (floor 1 ms) makes the run client-bound', () => {
    const v = clientBoundVerdict({ loopDelayP50Ms: 2.5, loopDelayP99Ms: 2.5, dispatchLagP99Ms: 0.2, ttftP50Ms: 50, itlP50Ms: 20 })
    expect(v.clientBound).toBe(true)
    expect(v.reason).toBe(
      'client-bound: results not trustworthy — event-loop delay p50 2.50 ms > 2.00 ms (10% of ITL p50). Lower BENCH_CONCURRENCY, split the client over hosts (BENCH_SHARD), or run it on a less loaded machine (BENCH_ALLOW_CLIENT_BOUND=1 accepts it).',
    )
    expect(clientBoundVerdict({ loopDelayP50Ms: 0.9, loopDelayP99Ms: 0.9, dispatchLagP99Ms: 0, ttftP50Ms: 5, itlP50Ms: 2 }).clientBound).toBe(false)
  })

  it('a client-bound case on a host with idle cores is told to use more client processes; one without is told to split or lower the load', () => {
    const busy = { loopDelayP50Ms: 2.5, loopDelayP99Ms: 2.5, dispatchLagP99Ms: 0.2, ttftP50Ms: 50, itlP50Ms: 20 }
    expect(clientBoundVerdict({ ...busy, procs: 1, cores: 16 }).reason).toContain(
      '. Spread the load over more client processes (BENCH_CLIENT_PROCS=2; this host has 16 cores), lower BENCH_CONCURRENCY, or run the client on a less loaded machine (BENCH_ALLOW_CLIENT_BOUND=1 accepts it).',
    )
    expect(clientBoundVerdict({ ...busy, procs: 3, cores: 4 }).reason).toContain('. Lower BENCH_CONCURRENCY, split the client over hosts (BENCH_SHARD)')
  })

  it('a loop-delay tail is judged against E2E (else TTFT), not ITL: rare 4 ms hiccups do not condemn a 20 ms-ITL run', () => {
    expect(clientBoundVerdict({ loopDelayP50Ms: 0.1, loopDelayP99Ms: 4, dispatchLagP99Ms: 0, ttftP50Ms: 30, itlP50Ms: 20, e2eP50Ms: 2000 }).clientBound).toBe(
      false,
    )
    const v = clientBoundVerdict({ loopDelayP50Ms: 0.1, loopDelayP99Ms: 250, dispatchLagP99Ms: 0, ttftP50Ms: 30, itlP50Ms: 20, e2eP50Ms: 2000 })
    expect(v.reason).toContain('event-loop delay p99 250.00 ms > 200.00 ms (10% of E2E p50)')
    const noE2e = clientBoundVerdict({ loopDelayP50Ms: 0.1, loopDelayP99Ms: 40, dispatchLagP99Ms: 0, ttftP50Ms: 300, itlP50Ms: 20 })
    expect(noE2e.reason).toContain('event-loop delay p99 40.00 ms > 30.00 ms (10% of TTFT p50)')
  })

  it('dispatch lag above 10% of the E2E p50 (TTFT p50 without E2E) makes the run client-bound', () => {
    const v = clientBoundVerdict({ loopDelayP99Ms: 0.5, dispatchLagP99Ms: 30, ttftP50Ms: 200, itlP50Ms: null })
    expect(v.clientBound).toBe(true)
    expect(v.reason).toContain('dispatch lag p99 30.00 ms > 20.00 ms (10% of TTFT p50)')
    expect(v.reason).not.toContain('event-loop')
    // 2 ms late on requests that live 270 ms does not change the load the server saw
    expect(clientBoundVerdict({ loopDelayP99Ms: 0.5, dispatchLagP99Ms: 2, ttftP50Ms: 16, itlP50Ms: 6, e2eP50Ms: 270 }).clientBound).toBe(false)
    expect(clientBoundVerdict({ loopDelayP99Ms: 0.5, dispatchLagP99Ms: 40, ttftP50Ms: 16, itlP50Ms: 6, e2eP50Ms: 270 }).reason).toContain(
      'dispatch lag p99 40.00 ms > 27.00 ms (10% of E2E p50)',
    )
  })
})
