// vitest leaves its worker running when the main process gets a signal (docs/design.md); our fixture must still
// take the server down. Real vitest, real llama-server, real signals.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { freePort } from '../../fixtures/ports.ts'
import { startBench, waitForRunDir } from '../support/run-bench.ts'
import { pidsMatching, waitGone } from '../support/procs.ts'

const LONG_RUN = { BENCH_WARMUP: '0', BENCH_REQUESTS: '100000', BENCH_NUM_PREDICT: '32' }

async function startAndWaitForRequests(port: string, detached = false) {
  const run = startBench(['--project', 'llama.cpp', 'tiny-random', '-t', 'decode'], { ...LONG_RUN, PORT_A: port }, undefined, { detached })
  const dir = await waitForRunDir(
    run.resultsDir,
    (d) => {
      const f = join(d, 'requests.jsonl')
      return existsSync(f) && readFileSync(f, 'utf8').split('\n').length > 3
    },
    'the bench to measure its first requests',
  )
  const server = await pidsMatching(`--port ${port}`)
  expect(server.length).toBeGreaterThan(0)
  return { run, dir }
}

describe('signals mid-run', () => {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it(`${sig} to the vitest process alone leaves no llama-server behind`, async () => {
      const port = String(await freePort())
      const { run } = await startAndWaitForRequests(port)
      run.child.kill(sig)
      await run.child
      expect(await waitGone(`--port ${port}`)).toEqual([])
    })
  }

  it('SIGTERM to the whole process group leaves no llama-server behind and keeps the measured requests', async () => {
    const port = String(await freePort())
    const { run, dir } = await startAndWaitForRequests(port, true)
    // vitest and its worker share the group; the server has its own (so only our cleanup can reach it)
    process.kill(-run.child.pid!, 'SIGTERM')
    await run.child
    expect(await waitGone(`--port ${port}`)).toEqual([])
    const lines = readFileSync(join(dir, 'requests.jsonl'), 'utf8').trim().split('\n')
    expect(lines.length).toBeGreaterThan(2)
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow()
  })
})
