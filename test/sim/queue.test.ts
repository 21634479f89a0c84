import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { startSim } from '../../sim/index.ts'
import type { SimHandle } from '../../sim/index.ts'
import { json, raw, sseData } from './raw.ts'

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Poll /_sim/stats until `ok` holds (bounded), so tests wait on state, not on the clock. */
async function until(sim: SimHandle, ok: (s: { active: number; queued?: number }) => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (ok((await json<{ active: number; queued: number }>(`${sim.url}/_sim/stats`)).value)) return
    await new Promise((r) => setTimeout(r, 5))
  }
  throw new Error(`state not reached: ${JSON.stringify(sim.stats())}`)
}

describe('sequence slots and queue', () => {
  it('runs maxSeqs at once, queues up to maxQueue, rejects the rest with 503', async () => {
    const sim = await startSim({ protocol: 'openai', ttftMs: 0, itlMs: 15, maxSeqs: 2, maxQueue: 1 })
    try {
      const body = { prompt: 'x', max_tokens: 8, stream: true }
      const running = ['q1', 'q2', 'q3'].map((id) => raw(`${sim.url}/v1/completions`, { headers: { 'x-request-id': id }, body }))
      await until(sim, (s) => s.active === 2 && s.queued === 1)
      const rejected = await json<{ code: number; message: string }>(`${sim.url}/v1/completions`, { headers: { 'x-request-id': 'q4' }, body })
      expect(rejected.status).toBe(503)
      expect(rejected.value.message).toMatch(/2 sequences running and 1 queued/)
      expect(sim.truth('q4')!.outcome).toBe('queued-reject')
      const done = await Promise.all(running)
      for (const r of done) expect(sseData(r.body)).toHaveLength(9)
      const [t1, t2, t3] = ['q1', 'q2', 'q3'].map((id) => sim.truth(id)!)
      // The queued request got its slot only when a running one finished.
      expect(t3.tAdmitted!).toBeGreaterThanOrEqual(Math.min(t1.tEnd!, t2.tEnd!))
      expect(sim.stats()).toMatchObject({ active: 0, maxActive: 2, rejected: 1, queued: 0 })
    } finally {
      await sim.close()
    }
  })

  it('slows every active stream by concurrencySlowdown per extra sequence', async () => {
    const sim = await startSim({ protocol: 'openai', ttftMs: 0, itlMs: 10, concurrencySlowdown: 1 })
    try {
      const body = { prompt: 'x', max_tokens: 12, stream: true }
      await Promise.all(['c1', 'c2'].map((id) => raw(`${sim.url}/v1/completions`, { headers: { 'x-request-id': id }, body })))
      for (const id of ['c1', 'c2']) {
        const targets = sim.truth(id)!.chunkTargets!
        const gaps = targets.slice(1).map((t, i) => t - targets[i])
        // Two active sequences: 10 ms * (1 + 1 * (2 - 1)).
        expect(median(gaps)).toBeCloseTo(20, 6)
      }
    } finally {
      await sim.close()
    }
  })

  it('handles 256 concurrent streams', async () => {
    // A long TTFT keeps every stream open until all 256 have connected.
    const sim = await startSim({ protocol: 'openai', ttftMs: 1500, itlMs: 5, maxSeqs: 512 })
    try {
      const body = { prompt: 'x', max_tokens: 8, stream: true, stream_options: { include_usage: true } }
      const all = await Promise.all(Array.from({ length: 256 }, (_, i) => raw(`${sim.url}/v1/completions`, { headers: { 'x-request-id': `p${i}` }, body })))
      for (const r of all) {
        const events = sseData(r.body)
        expect(events).toHaveLength(10)
        expect(JSON.parse(events[8]).usage.completion_tokens).toBe(8)
      }
      expect(sim.stats()).toMatchObject({ requests: 256, active: 0 })
      expect(sim.stats().maxActive).toBe(256)
    } finally {
      await sim.close()
    }
  })

  it('survives clients that abort mid-stream or while queued, and frees their slots', async () => {
    const sim = await startSim({ protocol: 'ollama', ttftMs: 0, itlMs: 5, maxSeqs: 1, maxQueue: 4 })
    try {
      const body = { model: 'sim-model', prompt: 'x', options: { num_predict: 1000 } }
      const aborted = raw(`${sim.url}/api/generate`, { headers: { 'x-request-id': 'ab1' }, body, onRead: (_r, all) => all.length >= 3 })
      // A second request waits in the queue; its client leaves before getting a slot.
      const queued = request(`${sim.url}/api/generate`, { method: 'POST', headers: { 'x-request-id': 'ab2' } })
      queued.on('error', () => {})
      queued.end(JSON.stringify(body))
      await until(sim, (s) => s.queued === 1)
      queued.destroy()
      expect((await aborted).error).toBe('aborted by test')
      await until(sim, (s) => s.active === 0 && s.queued === 0)
      expect(sim.truth('ab1')!.clientClosed).toBe(true)
      const after = await json<{ eval_count: number }>(`${sim.url}/api/generate`, { body: { ...body, stream: false, options: { num_predict: 2 } } })
      expect(after.value.eval_count).toBe(2)
    } finally {
      await sim.close()
    }
  })
})
