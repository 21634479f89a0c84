// BENCH_SHARD / BENCH_START_AT as a user writes them, and how a load level is split over shards.
import { expect, it } from 'vitest'
import type { LoadLevel } from '../../helpers/load/plan.ts'
import { shardLevel, waitForStart } from '../../helpers/load/shard.ts'
import { parseInstant, parseShard, shareOf } from '../../helpers/load/shard-spec.ts'
import { effectiveEnv, loadKnobs } from '../../env/index.ts'

it('parses i/n and instants, and the knob schema rejects anything else with a clear message', () => {
  expect(parseShard('2/4')).toEqual({ index: 2, count: 4 })
  for (const bad of ['0/2', '3/2', '1', 'a/b', '1/0']) expect(parseShard(bad)).toBeUndefined()
  expect(parseInstant('1764620000000')).toBe(1764620000000)
  expect(parseInstant('2026-12-01T20:30:00Z')).toBe(Date.UTC(2026, 11, 1, 20, 30, 0))
  expect(parseInstant('2026-12-01T21:30:00+01:00')).toBe(Date.UTC(2026, 11, 1, 20, 30, 0))
  expect(parseInstant('tomorrow')).toBeUndefined()
  expect(parseInstant('2026-12-01T20:30:00')).toBeUndefined() // no zone: every host would read it differently
  expect(() => loadKnobs({ env: { BENCH_SHARD: '3/2' } })).toThrow(/BENCH_SHARD='3\/2'.*i\/n with 1 ≤ i ≤ n/s)
  expect(() => loadKnobs({ env: { BENCH_START_AT: 'soon' } })).toThrow(/BENCH_START_AT='soon'.*epoch milliseconds/s)
  const k = loadKnobs({ env: { BENCH_SHARD: '1/2', BENCH_START_AT: '2026-12-01T20:30:00Z' } })
  expect(k.BENCH_SHARD).toEqual({ index: 1, count: 2 })
  expect(k.BENCH_START_AT).toBe(Date.UTC(2026, 11, 1, 20, 30, 0))
})

it('splits counts with the remainder to the first shards, so the shares always add up', () => {
  expect([1, 2, 3].map((index) => shareOf(10, { index, count: 3 }))).toEqual([4, 3, 3])
  for (const total of [0, 1, 7, 40, 41])
    for (const count of [1, 2, 4, 5]) {
      const shares = Array.from({ length: count }, (_, i) => shareOf(total, { index: i + 1, count }))
      expect(shares.reduce((a, b) => a + b, 0)).toBe(total)
    }
})

const open: LoadLevel = { suffix: '', trials: 1, shape: { mode: 'open', rate: 8, arrival: 'poisson', seed: 1 }, bounds: { count: 41 } }
const closed: LoadLevel = { suffix: '', trials: 1, shape: { mode: 'closed', concurrency: 3 }, bounds: { count: 10 } }

it('an open-loop level: rate ÷ n, requests split, its own arrival seed per shard', () => {
  const parts = [1, 2, 3, 4].map((index) => shardLevel(open, { index, count: 4 }).level)
  expect(parts.map((l) => (l.shape.mode === 'open' ? l.shape.rate : 0))).toEqual([2, 2, 2, 2])
  expect(parts.map((l) => l.bounds.count)).toEqual([11, 10, 10, 10])
  expect(new Set(parts.map((l) => (l.shape.mode === 'open' ? l.shape.seed : 0))).size).toBe(4)
})

it('a closed-loop level: streams split; a shard left without a stream says so', () => {
  const parts = [1, 2, 3, 4].map((index) => shardLevel(closed, { index, count: 4 }))
  expect(parts.map((p) => (p.level.shape.mode === 'closed' ? p.level.shape.concurrency : -1))).toEqual([1, 1, 1, 0])
  expect(parts.map((p) => p.level.bounds.count)).toEqual([3, 3, 2, 2])
  expect(parts[3].empty).toBe('shard 4/4 has no stream of this case (3 stream(s) over 4 shards); use at most as many shards as streams')
  expect(parts.slice(0, 3).every((p) => p.empty === undefined)).toBe(true)
})

it('waits for the start instant, and a late shard says by how much', async () => {
  let t = 1000
  const clock = () => t
  const slept = waitForStart(1000, { index: 1, count: 2 }, clock)
  expect(await slept).toEqual({ shard: '1/2', startAt: new Date(1000).toISOString(), lateMs: 0 })
  t = 1250
  const late = await waitForStart(1000, { index: 2, count: 2 }, clock)
  expect(late.lateMs).toBe(250)
  expect(late.warning).toMatch(/^shard 2\/2 started 250 ms after BENCH_START_AT \(1970-01-01T00:00:01\.000Z\).*set BENCH_START_AT further ahead/)
})

it('the effective env (env.json, the reporters) writes the shard back as i/n', () => {
  const env = effectiveEnv(loadKnobs({ env: { BENCH_SHARD: '2/4', BENCH_START_AT: '1764620000000' } }))
  expect(env.BENCH_SHARD).toBe('2/4')
  expect(env.BENCH_START_AT).toBe('1764620000000')
})

it('a shard of a shard (BENCH_CLIENT_PROCS inside BENCH_SHARD) is one shard of the whole: disjoint items, own arrivals', () => {
  const whole = [1, 2].flatMap((i) => [1, 2, 3].map((j) => shardLevel(shardLevel(open, { index: i, count: 2 }).level, { index: j, count: 3 }).level))
  expect(whole.map((l) => `${l.shard?.index}/${l.shard?.count}`)).toEqual(['1/6', '3/6', '5/6', '2/6', '4/6', '6/6'])
  // each takes workload items index-1, index-1+6, …: together every item once
  const items = whole.flatMap((l) => Array.from({ length: 4 }, (_, k) => k * l.shard!.count + l.shard!.index - 1))
  expect(new Set(items).size).toBe(24)
  expect(new Set(whole.map((l) => (l.shape.mode === 'open' ? l.shape.seed : 0))).size).toBe(6)
  expect(whole.reduce((a, l) => a + (l.bounds.count ?? 0), 0)).toBe(41)
})
