// Load shards end to end: n real `vitest bench` processes with BENCH_SHARD=i/n and one BENCH_START_AT, all against
// one simulator process, then `fuze-bench merge` as a user runs it. The merged case must hold every request once,
// its percentiles must be those of the union of the shards' requests.jsonl (exactly), and together the shards must
// have sent at the target rate. Folders that are not shards of one run are refused with the reason.
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dist } from '../../helpers/metrics/dist.ts'
import type { RequestRecord } from '../../helpers/types.ts'
import { startSimProcess } from '../load/sim-ref.ts'
import { cleanEnv, ROOT, startBench, tempResults } from '../support/run-bench.ts'

let sim: { url: string; stop: () => Promise<void> }

beforeAll(async () => {
  sim = await startSimProcess({ protocol: 'openai', ttftMs: 60, itlMs: 2 })
})
afterAll(async () => sim?.stop())

const RATE = 8
const REQUESTS = 40

/** n shard processes of one run; the lead gives every vitest process time to start before the common instant. */
async function runShards(n: number, leadMs: number): Promise<{ results: string; dirs: string[] }> {
  const results = tempResults('fuze-shards-')
  const startAt = String(Date.now() + leadMs)
  const runs = Array.from({ length: n }, (_, i) =>
    startBench(
      ['--project', 'sim', 'benches/sim/openai.bench.ts', '-t', 'completions'],
      {
        SIM_URL: sim.url,
        BENCH_SHARD: `${i + 1}/${n}`,
        BENCH_START_AT: startAt,
        BENCH_RATE: String(RATE),
        BENCH_REQUESTS: String(REQUESTS),
        BENCH_ARRIVAL: 'constant',
        BENCH_WARMUP: '1',
        // 2 shared cores: a shard's own verdict is kept in the merged case, but must not decide this test
        BENCH_ALLOW_CLIENT_BOUND: '1',
      },
      results,
    ),
  )
  const done = await Promise.all(runs.map((r) => r.child))
  done.forEach((d, i) => expect(d.exitCode, `shard ${i + 1}/${n}:\n${d.all}`).toBe(0))
  const dirs = readdirSync(results)
    .filter((d) => /-shard\dof\d$/.test(d))
    .sort()
    .map((d) => join(results, d))
  expect(dirs).toHaveLength(n)
  return { results, dirs }
}

const merge = (args: string[]) =>
  execa(process.execPath, [join(ROOT, 'cli', 'bin.mjs'), 'merge', ...args], { cwd: ROOT, reject: false, env: cleanEnv(), extendEnv: false })

type Line = RequestRecord & { case: string; shard?: string }
const measured = (file: string): Line[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line)
    .filter((r) => r.phase === 'run' && r.case.endsWith('> completions'))

async function checkMerged(n: number, leadMs: number) {
  const { results, dirs } = await runShards(n, leadMs)
  const out = join(results, 'merged')
  const r = await merge([...dirs, '--out', out])
  expect(r.exitCode, r.all ?? r.stderr).toBe(0)
  expect(r.stdout).toContain(`fuze-bench merge: ${n} shard(s) → ${out}: 1 case(s), ${REQUESTS} measured request(s)`)

  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))
  expect(summary.cases).toHaveLength(1)
  const c = summary.cases[0]
  expect(c.fullName).toBe('sim-model on sim (openai) > completions')
  expect(c.summary.counts).toMatchObject({ requests: REQUESTS, ok: REQUESTS, failed: 0 })
  // counts are the shards' sums; percentiles are the union's, computed here from the shards' own files
  const perShard = dirs.map((d) => JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')).cases[0].summary.counts.requests as number)
  expect(perShard.reduce((a, b) => a + b, 0)).toBe(REQUESTS)
  const union = dirs.flatMap((d) => measured(join(d, 'requests.jsonl'))).filter((x) => x.outcome === 'ok')
  expect(union).toHaveLength(REQUESTS)
  expect(c.summary.ttftMs).toEqual(dist(union.map((x) => x.ttftMs!)))
  expect(c.summary.itlMs).toEqual(dist(union.flatMap((x) => x.itlMs)))
  expect(c.summary.e2eMs).toEqual(dist(union.map((x) => x.e2eMs!)))
  // together at the target rate (constant arrivals: no Poisson spread to excuse)
  expect(c.summary.load.targetRate).toBe(RATE)
  expect(Math.abs(c.summary.load.achievedRate / RATE - 1)).toBeLessThan(0.05)
  expect(c.summary.sections.shards.map((s: { shard: string }) => s.shard)).toEqual(Array.from({ length: n }, (_, i) => `${i + 1}/${n}`))
  // every request once in the merged requests.jsonl, each saying its shard; one bench.csv row
  const lines = measured(join(out, 'requests.jsonl'))
  expect(new Set(lines.map((x) => x.id)).size).toBe(REQUESTS)
  expect(new Set(lines.map((x) => x.shard))).toEqual(new Set(Array.from({ length: n }, (_, i) => `${i + 1}/${n}`)))
  expect(readFileSync(join(out, 'bench.csv'), 'utf8').trim().split('\n')).toHaveLength(2)
  expect(readdirSync(out)).toEqual(expect.arrayContaining(['summary.csv', 'gate.json', 'report.html', 'env.json']))
  return { results, dirs }
}

describe('BENCH_SHARD + fuze-bench merge against one simulator', () => {
  let two: { results: string; dirs: string[] }

  it('2 shards, 40 requests at 8 req/s in total → one completions case with 40 requests, 40 ok', async () => {
    two = await checkMerged(2, 60_000)
  }, 240_000)

  it('4 shards: merged counts are the sum, percentiles those of the union', async () => {
    await checkMerged(4, 90_000)
  }, 300_000)

  it('refuses folders that are not shards of one run, naming the difference, and writes nothing', async () => {
    const [a, b] = two.dirs
    const missing = await merge([a, '--out', join(two.results, 'm1')])
    expect(missing.exitCode).toBe(2)
    expect(missing.stderr).toContain('fuze-bench merge: refused: shard(s) 2/2 missing')
    const twice = await merge([a, a, '--out', join(two.results, 'm2')])
    expect(twice.stderr).toContain(`shard 1/2 is given twice: ${a} and ${a}`)
    const other = join(two.results, 'other-knobs')
    cpSync(b, other, { recursive: true })
    const env = JSON.parse(readFileSync(join(other, 'env.json'), 'utf8'))
    writeFileSync(join(other, 'env.json'), JSON.stringify({ ...env, BENCH_RATE: '4' }))
    const knobs = await merge([a, other, '--out', join(two.results, 'm3')])
    expect(knobs.exitCode).toBe(2)
    expect(knobs.stderr).toContain(`shard 2/2 (${other}) ran with BENCH_RATE=4 but shard 1/2 (${a}) with BENCH_RATE=8`)
    const notShard = await merge([join(two.results, 'merged'), '--out', join(two.results, 'm4')])
    expect(notShard.stderr).toContain('is not a shard: its env.json has no BENCH_SHARD=i/n')
    expect(readdirSync(two.results).filter((d) => /^m\d$/.test(d))).toEqual([])
  }, 60_000)
})
