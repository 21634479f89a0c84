// The `openai` stack against the simulator as a user starts it (`fuze-bench sim --protocol openai --api-key …`):
// every served model benched with the key sent as a bearer token, the key nowhere in the run folder or the output,
// no ignore_eos/min_tokens sent (strict endpoints reject them); and one skip line without OPENAI_URL.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { execa, type ResultPromise } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, onlyRunDir, startBench } from '../support/run-bench.ts'
import { barePath, csvRows, expectFlowPassed, QUICK } from './support.ts'

const KEY = `sk-fuze-test-${process.pid}-b9c1e7`

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? filesUnder(p) : [p]
  })
}

let sim: ResultPromise
let url = ''

beforeAll(async () => {
  sim = execa(
    process.execPath,
    [join(ROOT, 'cli', 'bin.mjs'), 'sim', '--protocol', 'openai', '--port', '0', '--models', 'm-one,m-two', '--api-key', KEY, '--itl-ms', '2'],
    {
      cwd: ROOT,
      reject: false,
      buffer: false,
    },
  )
  url = await new Promise<string>((resolve, reject) => {
    let out = ''
    sim.stdout?.on('data', (b: Buffer) => {
      out += b.toString()
      const m = /sim listening on (http:\/\/\S+)/.exec(out)
      if (m) resolve(m[1])
    })
    sim.once('exit', (code) => reject(new Error(`fuze-bench sim exited (${code}) before listening: ${out}`)))
  })
})
afterAll(async () => {
  sim.kill('SIGTERM')
  await sim
})

describe('openai stack', () => {
  it('without OPENAI_URL: one skip line, exit 0, nothing measured', async () => {
    const run = startBench(['--project', 'openai'], { PATH: barePath() })
    const r = await run.child
    expect(r.exitCode, r.all).toBe(0)
    expect(r.all!.split('\n').filter((l) => l.startsWith('skipped '))).toEqual([
      'skipped benches/openai/each-model.bench.ts: OPENAI_URL is not set; set it to an OpenAI-compatible endpoint (and OPENAI_API_KEY if it needs a key)',
    ])
  })

  it('OPENAI_URL (…/v1) + OPENAI_API_KEY: every listed model benched, the key sent and never written', async () => {
    const run = startBench(['--project', 'openai'], { ...QUICK, PATH: barePath(), OPENAI_URL: `${url}/v1`, OPENAI_API_KEY: KEY, DEBUG: '1', VERBOSE: '1' })
    const r = await run.child
    expectFlowPassed(r)
    const dir = onlyRunDir(run.resultsDir)
    const rows = csvRows(dir)
    expect(rows.map((x) => x.base_model)).toEqual(['m-one', 'm-two'])
    for (const row of rows) {
      expect(row).toMatchObject({ unit: 'external', suffix: 'X', endpoint: new URL(url).host })
      expect(Number(row.tokens_per_sec)).toBeGreaterThan(0)
    }
    // the simulator answers 401 without the right bearer token: rows > 0 prove it was sent on every request
    const requests = (await (await fetch(`${url}/_sim/requests`)).json()) as { path: string; body: Record<string, unknown> | null }[]
    const chats = requests.filter((q) => q.path === '/v1/chat/completions')
    expect(chats.length).toBeGreaterThanOrEqual(4)
    for (const q of chats) expect(Object.keys(q.body ?? {})).not.toContain('ignore_eos')
    for (const q of chats) expect(Object.keys(q.body ?? {})).not.toContain('min_tokens')
    const leaks = [...filesUnder(run.resultsDir)].filter((f) => readFileSync(f).includes(KEY))
    expect(leaks).toEqual([])
    expect(r.all).not.toContain(KEY)
    expect(JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8')).OPENAI_API_KEY).toBe('***')
  })
})
