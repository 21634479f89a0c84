// Readiness is noticed soon after the server starts answering: the poll gap is capped, and a real server that
// turns ready mid-wait is seen within one capped gap (measured on the server's side: the probe that found it ready
// is the first one after the switch).
import { createServer } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { nextPollDelay, READY_POLL_MAX_MS, waitReady } from '../../fixtures/readiness.ts'

describe('readiness polling', () => {
  it('the gap between probes starts small and never exceeds the cap (≤ 100 ms with the probe itself)', () => {
    const gaps: number[] = []
    for (let d: number | undefined, i = 0; i < 50; i++) gaps.push((d = nextPollDelay(d)))
    expect(gaps[0]).toBeLessThanOrEqual(10)
    expect(Math.max(...gaps)).toBe(READY_POLL_MAX_MS)
    expect(READY_POLL_MAX_MS).toBeLessThanOrEqual(50)
  })

  it('a server that becomes ready after a while is found by the next probe, not a back-off later', async () => {
    let readyAt = Infinity
    const probes: number[] = []
    const srv = createServer((_req, res) => {
      probes.push(performance.now())
      res.statusCode = performance.now() >= readyAt ? 200 : 503
      res.end()
    })
    srv.listen(0, '127.0.0.1')
    await once(srv, 'listening')
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`
    // ready once 20 probes have been refused (≈ 1 s of polling: long enough for an uncapped back-off to grow)
    const switched = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (probes.length >= 20 && readyAt === Infinity) {
          readyAt = performance.now()
          clearInterval(check)
          resolve()
        }
      }, 1)
    })
    try {
      await waitReady({ url, probe: { path: '/health' }, deadlineMs: 30_000, label: 'test' })
      await switched
      const firstReady = probes.find((t) => t >= readyAt)!
      // the probe that saw it ready followed the last refused one by one capped gap (slack for a loaded machine; the old
      // back-off had grown to 500 ms by now)
      expect(probes.filter((t) => t >= readyAt)).toHaveLength(1)
      const before = probes.filter((t) => t < readyAt).at(-1)!
      expect(firstReady - before).toBeLessThan(200)
    } finally {
      srv.close()
    }
  })
})
