import { describe, expect, it } from 'vitest'
import { gapSampler, slowdown, ttftMs } from '../../sim/latency.ts'
import { startSim } from '../../sim/index.ts'
import { raw } from './raw.ts'

const model = { ttftMs: 20, perPromptTokenMs: 0.5, itlMs: 5, itlJitterMs: 2, concurrencySlowdown: 0.1, seed: 7 }

describe('latency model', () => {
  it('computes TTFT and gaps from the documented formulas', () => {
    expect(ttftMs(model, 100, 1)).toBe(70)
    expect(ttftMs(model, 100, 3)).toBeCloseTo(70 * 1.2, 9)
    expect(slowdown(model, 0)).toBe(1)
    const noJitter = gapSampler({ ...model, itlJitterMs: 0 }, 'r')
    expect(noJitter(1, 1)).toBe(5)
    expect(noJitter(4, 1)).toBe(20)
    expect(noJitter(1, 11)).toBeCloseTo(10, 9)
  })

  it('draws the same jitter for the same seed and request id, different for another', () => {
    const draw = (seed: number, id: string) => {
      const g = gapSampler({ ...model, seed }, id)
      return Array.from({ length: 50 }, () => g(1, 1))
    }
    const a = draw(7, 'req-1')
    expect(draw(7, 'req-1')).toEqual(a)
    expect(draw(7, 'req-2')).not.toEqual(a)
    expect(draw(8, 'req-1')).not.toEqual(a)
    for (const g of a) {
      expect(g).toBeGreaterThanOrEqual(3)
      expect(g).toBeLessThanOrEqual(7)
    }
    expect(new Set(a).size).toBe(50)
  })

  it('never yields a negative gap when jitter exceeds the mean', () => {
    const g = gapSampler({ ...model, itlMs: 1, itlJitterMs: 10 }, 'x')
    for (let i = 0; i < 200; i++) expect(g(1, 1)).toBeGreaterThanOrEqual(0)
  })
})

describe('seeded output', () => {
  it('same seed → identical token texts across servers; another seed → different', async () => {
    const text = async (seed: number) => {
      const s = await startSim({ protocol: 'triton', seed, ttftMs: 0, itlMs: 0 })
      try {
        return (await raw(`${s.url}/v2/models/sim-model/generate`, { body: { text_input: 'x', max_tokens: 40 } })).body
      } finally {
        await s.close()
      }
    }
    const a = await text(3)
    expect(await text(3)).toBe(a)
    expect(await text(4)).not.toBe(a)
  })

  it('failRate picks the same requests for the same seed and ids, at about the given rate', async () => {
    const failures = async () => {
      const s = await startSim({ protocol: 'openai', ttftMs: 0, itlMs: 0, faults: { failRate: 0.3, status: 503 } })
      try {
        const failed: number[] = []
        for (let i = 0; i < 100; i++) {
          const r = await raw(`${s.url}/v1/completions`, { headers: { 'x-request-id': `fr-${i}` }, body: { prompt: 'x', max_tokens: 1 } })
          if (r.status === 503) failed.push(i)
          else expect(r.status).toBe(200)
        }
        return failed
      } finally {
        await s.close()
      }
    }
    const a = await failures()
    expect(await failures()).toEqual(a)
    expect(a.length).toBeGreaterThan(15)
    expect(a.length).toBeLessThan(45)
  })
})
