// StreamObservation → RequestRecord → requests.jsonl line. The line is written by recordJson (fast per-token
// lists) and must read back as exactly the record the summaries were folded from: JSON.parse(recordJson(r)) equals
// JSON.parse(JSON.stringify(r)) for every shape — one token per chunk (one shared list), multi-token chunks, a
// failed request, values that are not µs-rounded.
import { describe, expect, it } from 'vitest'
import { msListJson, recordJson, toMicros, toRecord } from '../../helpers/metrics/request.ts'
import type { StreamObservation } from '../../helpers/types.ts'

const CTX = { id: 'x-1', caseName: 'c', phase: 'run' as const, caseT0: 1000 }

function obs(chunkTimes: number[], over: Partial<StreamObservation> = {}): StreamObservation {
  return {
    outcome: 'ok',
    tSend: 1000.123456789,
    tEnd: chunkTimes.at(-1)! + 0.5,
    chunkTimes,
    chunkTokens: chunkTimes.map(() => 1),
    tokensExplicit: false,
    server: { outputTokens: chunkTimes.length, promptTokens: 7, finishReason: 'length' },
    ...over,
  }
}

const roundTrip = (s: string) => JSON.parse(s) as unknown

describe('toRecord and recordJson', () => {
  it('one token per chunk: ITLs are the chunk gaps to the µs, one list serves both fields, the line reads back as the record', () => {
    const r = toRecord(obs([1010.0004, 1010.0123456, 1010.5, 1013.25]), CTX)
    expect(r.chunkGapsMs).toEqual([0.012, 0.488, 2.75])
    expect(r.itlMs).toBe(r.chunkGapsMs)
    const line = recordJson(r)
    expect(line).toContain('"itlMs":[0.012,0.488,2.75],"chunkGapsMs":[0.012,0.488,2.75]')
    expect(roundTrip(line)).toEqual(roundTrip(JSON.stringify(r)))
  })

  it('multi-token chunks spread their gap over their tokens; a failed request keeps its gaps and no ITLs', () => {
    const multi = toRecord(obs([1010, 1013, 1014], { chunkTokens: [1, 3, 2], tokensExplicit: true, server: { outputTokens: 6 } }), CTX)
    expect(multi.itlMs).toEqual([1, 1, 1, 0.5, 0.5])
    expect(multi.chunkGapsMs).toEqual([3, 1])
    expect(roundTrip(recordJson(multi))).toEqual(roundTrip(JSON.stringify(multi)))
    const failed = toRecord(obs([1010, 1011], { outcome: 'disconnect', error: 'socket "closed" mid-stream' }), CTX)
    expect(failed.itlMs).toEqual([])
    expect(roundTrip(recordJson(failed))).toEqual(roundTrip(JSON.stringify(failed)))
  })

  it('msListJson: µs-rounded values exactly, anything else as JSON.stringify writes it', () => {
    const xs = [0, 0.001, 0.01, 0.999, 1, 12.5, 123456.789, toMicros(Math.PI), -0]
    expect(msListJson(xs)).toBe(JSON.stringify(xs))
    const odd = [Math.PI, -1.5, 1e-7, 1e21, Number.NaN, Number.POSITIVE_INFINITY]
    expect(msListJson(odd)).toBe(JSON.stringify(odd))
    // every µs value from 0 to 2 s reads back as itself
    const wrong: number[] = []
    for (let u = 0; u < 2_000_000; u += 3) {
      const v = u / 1000
      if (JSON.parse(msListJson([v]))[0] !== v) wrong.push(v)
    }
    expect(wrong).toEqual([])
  })

  it('a record with its lists elsewhere in the key order is written the plain way', () => {
    const r = toRecord(obs([1010, 1011]), CTX)
    const { itlMs, chunkGapsMs, ...rest } = r
    const reordered = { itlMs, ...rest, chunkGapsMs }
    expect(recordJson(reordered)).toBe(JSON.stringify(reordered))
  })
})
