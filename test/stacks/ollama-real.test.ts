// The Ollama stack against the real daemon: the Ollama v0.24.0 that `fuze-bench setup --stack ollama` builds into
// the cache (CPU, cgo), with the generated tiny model imported into a model store through its API. Skipped with one
// line when that build is not installed, so `npm test` on a fresh machine passes as before. What a user would see:
// the real daemon started and stopped (its runner too), its own log in the run folder, CSV rows with the server's
// tok/s, the FuZe flow (discovery, AUTO_NG from /api/show, baked variants, publish, export-gguf) on the real store.
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cachedOllamaBin, OLLAMA_VERSION } from '../../fixtures/install/ollama.ts'
import { ensureModel } from '../../fixtures/model/ensure-model.ts'
import { freePort } from '../../fixtures/ports.ts'
import { startProcess, type ManagedProcess } from '../../fixtures/process.ts'
import { waitReady } from '../../fixtures/readiness.ts'
import { importIntoStore } from '../../fixtures/stacks/ollama-models.ts'
import { OllamaApi } from '../../helpers/protocols/ollama-api.ts'
import { ROOT, onlyRunDir, startBench } from '../support/run-bench.ts'
import { csvRows, expectFlowPassed, type Row } from './support.ts'

const bin = cachedOllamaBin()
const title = bin
  ? `real Ollama ${OLLAMA_VERSION} (${bin})`
  : `real Ollama ${OLLAMA_VERSION}: skipped, not installed here (run \`npx fuze-bench setup --stack ollama\`)`

/** Few, short requests: the flow and the real shapes are under test, not the numbers of a loaded 2-core machine. */
const QUICK = { BENCH_ALLOW_CLIENT_BOUND: '1', BENCH_WARMUP: '0', BENCH_REQUESTS: '2', BENCH_NUM_PREDICT: '8' }

/** Processes whose command line runs `file` (the daemon or its `ollama runner` child). */
function processesOf(file: string): string[] {
  const out: string[] = []
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
      if (argv[0] === file) out.push(`${pid} ${argv.join(' ').trim()}`)
    } catch {
      // gone meanwhile
    }
  }
  return out
}

const pick = (rows: Row[], k: keyof Row) => rows.map((r) => r[k])

interface SummaryCase {
  fullName: string
  row: { numPredict: number }
  summary: { outputTokensServerTotal: number; counts: { ok: number } }
}

describe.skipIf(!bin)(title, () => {
  let store: string
  let daemon: ManagedProcess
  let daemonUrl: string

  beforeAll(async () => {
    // a store of its own, shared by the persistent daemon and the test instances, as on a user's machine
    store = mkdtempSync(join(tmpdir(), 'fuze-ollama-real-store-'))
    await importIntoStore(bin!, store, ['tiny-random'], () => undefined)
    const port = await freePort()
    daemonUrl = `http://127.0.0.1:${port}`
    daemon = startProcess({
      file: bin!,
      args: ['serve'],
      env: { OLLAMA_HOST: `127.0.0.1:${port}`, OLLAMA_MODELS: store },
      logPath: join(store, '..', `${port}-persistent.log`),
      label: 'persistent ollama',
    })
    await waitReady({ url: daemonUrl, probe: { path: '/api/version' }, deadlineMs: 60_000, proc: daemon, label: 'persistent ollama' })
  })
  afterAll(async () => {
    await daemon?.stop()
  })

  it('tiny-random spec: the real daemon serves decode, chat and prefill, bakes an -ng variant; its log lands in logs/; nothing is left running', async () => {
    const run = startBench(['--project', 'ollama', 'tiny-random'], { ...QUICK, OLLAMA_MODELS: store, PORT_A: String(await freePort()) })
    const r = await run.child
    expectFlowPassed(r)
    const dir = onlyRunDir(run.resultsDir)
    const rows = csvRows(dir)
    const seen = `${rows.map((x) => `${x.variant_label} ${x.model_tag} ${x.num_gpu} ${x.tokens_per_sec}`).join('\n')}\n${r.all}`
    expect(pick(rows, 'variant_label'), seen).toEqual(['base-as-is', 'base-as-is', 'base-as-is', 'base-as-is', 'optimized'])
    // tiny-random has 2 blocks: 3 offloadable layers, AUTO_NG's first candidate is 3; EXHAUSTIVE=0 stops there
    expect(rows[4]).toMatchObject({ num_gpu: '3', model_tag: 'LLM-FuZe-tiny-random-cpu-ng3:latest', base_model: 'tiny-random' })
    expect(pick(rows, 'num_predict')).toEqual(['8', '8', '16', '8', '8'])
    for (const row of rows) {
      expect(row, seen).toMatchObject({ unit: 'proc', suffix: 'X', gpu_label: 'cpu', base_model: 'tiny-random' })
      expect(Number(row.tokens_per_sec), seen).toBeGreaterThan(0)
    }
    // Ollama has no ignore_eos, yet the random model never ends early: every request decoded num_predict tokens
    const cases = (JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { cases: SummaryCase[] }).cases
    for (const c of cases) expect(c.summary.outputTokensServerTotal, c.fullName).toBe(c.row.numPredict * c.summary.counts.ok)
    // the daemon's own log, not ours: Ollama's startup line and its runner's
    const logs = readdirSync(join(dir, 'logs')).filter((f) => f.startsWith('ollama-X-'))
    expect(logs).toHaveLength(1)
    const log = readFileSync(join(dir, 'logs', logs[0]), 'utf8')
    expect(log).toMatch(/Listening on 127\.0\.0\.1:\d+ \(version 0\.24\.0\)/)
    expect(log).toContain('llama runner started')
    // the test instance and the runner it forked are gone; only the persistent daemon of this test is left
    expect(processesOf(bin!).filter((p) => !p.startsWith(`${daemon.pid} `))).toEqual([])
    // the baked variant is in the store the instance used, with num_gpu baked in
    const api = new OllamaApi(daemonUrl)
    try {
      const show = await api.show('LLM-FuZe-tiny-random-cpu-ng3')
      expect(show.parameters).toMatch(/num_gpu\s+3/)
      expect(show.blockCount).toBe(2)
    } finally {
      await api.close()
    }
  })

  it('the FuZe flow on the real store: /api/tags discovery without baked variants, AUTO_NG from /api/show, each candidate baked, the best published, export-gguf links the real blob', async () => {
    const run = startBench(['--project', 'ollama', 'each-model'], {
      ...QUICK,
      OLLAMA_MODELS: store,
      PERSISTENT_PORT: new URL(daemonUrl).port,
      PORT_A: String(await freePort()),
      FAST_MODE: '0',
      EXHAUSTIVE: '1',
      NO_IMPROVE_LIMIT: '9',
      PUBLISH_BEST: '1',
    })
    const r = await run.child
    expectFlowPassed(r)
    const rows = csvRows(onlyRunDir(run.resultsDir))
    const seen = `${rows.map((x) => `${x.variant_label} ${x.model_tag} ${x.num_gpu} ${x.tokens_per_sec}`).join('\n')}\n${r.all}`
    // discovery found tiny-random and left the baked -ng3 of the other test out
    // /api/tags names carry their tag: the model is `tiny-random:latest`, its alias tiny-random-latest
    expect(new Set(pick(rows, 'base_model')), seen).toEqual(new Set(['tiny-random:latest']))
    expect(r.all).toContain('num_gpu candidates (AUTO_NG, 3 layers): 3 2 1')
    expect(pick(rows, 'variant_label'), seen).toEqual(['base-as-is', 'base-as-is', 'optimized', 'optimized', 'optimized', 'published'])
    expect(pick(rows, 'num_gpu').slice(0, 5)).toEqual(['default', 'default', '3', '2', '1'])
    expect(pick(rows, 'model_tag').slice(2)).toEqual([
      'LLM-FuZe-tiny-random-latest-cpu-ng3:latest',
      'LLM-FuZe-tiny-random-latest-cpu-ng2:latest',
      'LLM-FuZe-tiny-random-latest-cpu-ng1:latest',
      'LLM-FuZe-tiny-random-latest-cpu:latest',
    ])
    for (const row of rows) expect(Number(row.tokens_per_sec), seen).toBeGreaterThan(0)
    const api = new OllamaApi(daemonUrl)
    try {
      const tags = (await api.tags()).map((m) => m.name)
      expect(tags).toEqual(
        expect.arrayContaining(['tiny-random:latest', 'LLM-FuZe-tiny-random-latest-cpu:latest', 'LLM-FuZe-tiny-random-latest-cpu-ng1:latest']),
      )
      // the published tag bakes the best num_gpu over the base's parameters (num_thread stays)
      const published = (await api.show('LLM-FuZe-tiny-random-latest-cpu')).parameters
      expect(published).toMatch(new RegExp(`^num_gpu\\s+${rows[5].num_gpu}$`, 'm'))
      expect(published).toMatch(/^num_thread\s+\d+$/m)
    } finally {
      await api.close()
    }
    // export-gguf reads the real manifests: tiny-random.gguf links the blob that is byte for byte the generated model
    const dest = mkdtempSync(join(tmpdir(), 'fuze-export-'))
    const out = await execa(process.execPath, [join(ROOT, 'cli', 'bin.mjs'), 'export-gguf', '--dest', dest, '--include', '^tiny-random'], {
      cwd: ROOT,
      env: { OLLAMA_MODELS: store, LOG_DIR: dest, LLAMACPP_MODELS_ENV: join(dest, 'models.env') },
      reject: false,
      all: true,
    })
    expect(out.exitCode, out.all).toBe(0)
    const linked = join(dest, 'tiny-random-latest.gguf')
    expect(readlinkSync(linked)).toMatch(new RegExp(`^${realpathSync(store)}/blobs/sha256-[0-9a-f]{64}$`.replace(/\//g, '\\/')))
    const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex')
    expect(sha(linked)).toBe(sha(await ensureModel('tiny')))
    expect(readFileSync(join(dest, 'models.env'), 'utf8')).toContain(`LLAMACPP_PATH_tiny_random_latest="${linked}"`)
  })
})
