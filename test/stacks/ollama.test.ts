// The Ollama stack end to end on real processes: `ollama` and `nvidia-smi` shims first on PATH (two GPUs),
// a simulator as the persistent daemon, real vitest bench runs. What a user would see: launch commands, GPU pins,
// CSV rows per variant, sweeps stopping where the rules say, baked variants created and deleted, nothing left running.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSim, type SimHandle } from '../../sim/index.ts'
import { onlyRunDir, startBench } from '../support/run-bench.ts'
import { waitFor } from '../support/procs.ts'
import { barePath, csvRows, isAlive, launches, ports, QUICK, readShimLog, runWithShims, shimLogFile, shimPath, type Row, expectFlowPassed } from './support.ts'

const UUID_A = 'GPU-3090ti00-1111-2222-3333-444444444444'
const UUID_B = 'GPU-a6000000-5555-6666-7777-888888888888'
const MODEL = 'gemma3:4b-it-fp16'
const MODELS = `${MODEL},llama3.2:3b`

let daemon: SimHandle
let base: Record<string, string>

/** A model store holding a manifest for llama3.2:3b, so its spec runs offline (it is skipped when neither stored nor pullable). */
function storeWithLlama(): string {
  const store = mkdtempSync(join(tmpdir(), 'fuze-ollama-store-'))
  mkdirSync(join(store, 'manifests', 'registry.ollama.ai', 'library', 'llama3.2'), { recursive: true })
  writeFileSync(join(store, 'manifests', 'registry.ollama.ai', 'library', 'llama3.2', '3b'), '{}')
  return store
}

/** A cache with nothing in it: no build of ollama that `fuze-bench setup --stack ollama` may have left in the real one. */
const emptyCache = () => mkdtempSync(join(tmpdir(), 'fuze-empty-cache-'))

beforeAll(async () => {
  // the persistent daemon: discovery reads its /api/tags (one baked variant that must be left out)
  daemon = await startSim({ protocol: 'ollama', models: [MODEL, 'llama3.2:3b', `LLM-FuZe-gemma3-4b-i-f16-nvidia-3090ti-ng35`], itlMs: 1 })
  base = { PERSISTENT_PORT: String(daemon.port), FUZE_SHIM_MODELS: MODELS, INCLUDE_MODELS: '^gemma3', OLLAMA_MODELS: storeWithLlama() }
})
afterAll(() => daemon.close())

const pick = (rows: Row[], k: keyof Row) => rows.map((r) => r[k])

describe('ollama on two GPUs (shims)', () => {
  it('runs each discovered model on A then B: serve pinned by UUID, base-as-is + AUTO_NG candidates until the rules stop', async () => {
    // block_count 34 → 35 layers → 35 32 27 …; EXHAUSTIVE=0 stops at the first candidate that works
    const run = await runWithShims(['--project', 'ollama', 'each-model'], base)
    expectFlowPassed(run.r)
    const started = launches(run.shim())
    expect(started.map((e) => e.argv)).toEqual([['serve'], ['serve']])
    expect(started.map((e) => e.env?.CUDA_VISIBLE_DEVICES)).toEqual([UUID_A, UUID_B])
    expect(started.map((e) => e.env?.OLLAMA_HOST)).toEqual([`127.0.0.1:${run.env.PORT_A}`, `127.0.0.1:${run.env.PORT_B}`])
    for (const e of started) expect(isAlive(e.pid)).toBe(false)
    const rows = run.rows()
    const seen = `${rows.map((r) => `${r.suffix} ${r.variant_label} ${r.num_gpu} ${r.tokens_per_sec}`).join('\n')}\n${run.r.all}`
    expect(rows.length, seen).toBe(6)
    const decode = rows.filter((_, i) => i % 3 === 0)
    expect(pick(decode, 'variant_label')).toEqual(['base-as-is', 'base-as-is'])
    for (const sweepRows of [rows.slice(1, 3), rows.slice(4, 6)]) {
      expect(pick(sweepRows, 'variant_label')).toEqual(['base-as-is', 'optimized'])
      expect(pick(sweepRows, 'num_gpu')).toEqual(['default', '35'])
    }
    expect(pick(rows, 'suffix')).toEqual([...Array(3).fill('A'), ...Array(3).fill('B')])
    expect(new Set(pick(rows, 'base_model'))).toEqual(new Set([MODEL]))
    expect(new Set(pick(rows, 'model_tag'))).toEqual(new Set([MODEL]))
    expect(rows[0]).toMatchObject({
      unit: 'proc',
      endpoint: `127.0.0.1:${run.env.PORT_A}`,
      gpu_label: 'nvidia-3090ti',
      gpu_name: 'NVIDIA GeForce RTX 3090 Ti',
      gpu_uuid: UUID_A,
      gpu_mem_mib: '24564',
      num_ctx: '4096',
      num_predict: '8',
    })
    expect(rows[3]).toMatchObject({
      endpoint: `127.0.0.1:${run.env.PORT_B}`,
      gpu_label: 'nvidia-a6000',
      gpu_name: 'NVIDIA RTX A6000',
      gpu_uuid: UUID_B,
      gpu_mem_mib: '49140',
    })
    for (const r of rows) expect(Number(r.tokens_per_sec)).toBeGreaterThan(0)
    // FAST_MODE=1: num_gpu travels nested under options, per request (2 requests per candidate, per slot)
    const numGpus = run
      .shim()
      .flatMap((e) => e.generateOptions ?? [])
      .map((o) => o.num_gpu)
    expect(numGpus.filter((n) => n !== undefined)).toEqual([35, 35, 35, 35])
    const swept = run
      .shim()
      .flatMap((e) => e.generateOptions ?? [])
      .find((o) => o.num_gpu !== undefined)
    expect(swept).toMatchObject({ num_gpu: 35, num_ctx: 4096, num_predict: 8, temperature: 0 })
    expect(run.r.all).toContain('num_gpu candidates (AUTO_NG, 35 layers): 35 32 27 21 18 14 11 7 4')
    expect(run.r.all).toContain('num_gpu sweep stopped after 1/9 candidates: first working candidate (EXHAUSTIVE=0)')
  })

  it('FAST_MODE=0 bakes each candidate with /api/create (from + parameters.num_gpu), benches the :latest tag, PUBLISH_BEST re-bakes the best', async () => {
    const run = await runWithShims(['--project', 'ollama', 'each-model'], {
      ...base,
      FAST_MODE: '0',
      PUBLISH_BEST: '1',
      AUTO_NG: '0',
      NUM_GPU_CANDIDATES: '20 10',
      EXHAUSTIVE: '1',
      EARLY_STOP_DELTA: '10',
      BENCH_GPU: UUID_A, // one GPU: one slot
    })
    expectFlowPassed(run.r)
    const rows = run.rows()
    expect(pick(rows, 'variant_label')).toEqual(['base-as-is', 'base-as-is', 'optimized', 'optimized', 'published'])
    expect(pick(rows, 'model_tag')).toEqual([
      MODEL,
      MODEL,
      'LLM-FuZe-gemma3-4b-i-f16-nvidia-3090ti-ng20:latest',
      'LLM-FuZe-gemma3-4b-i-f16-nvidia-3090ti-ng10:latest',
      'LLM-FuZe-gemma3-4b-i-f16-nvidia-3090ti:latest',
    ])
    const best = Number(rows[2].tokens_per_sec) >= Number(rows[3].tokens_per_sec) ? 20 : 10
    expect(pick(rows, 'num_gpu')).toEqual(['default', 'default', '20', '10', String(best)])
    const calls = run.shim().flatMap((e) => e.calls ?? [])
    expect(calls).toEqual([
      { path: '/api/create', body: { model: 'LLM-FuZe-gemma3-4b-i-f16-nvidia-3090ti-ng20', from: MODEL, parameters: { num_gpu: 20 }, stream: false } },
      { path: '/api/create', body: { model: 'LLM-FuZe-gemma3-4b-i-f16-nvidia-3090ti-ng10', from: MODEL, parameters: { num_gpu: 10 }, stream: false } },
      { path: '/api/create', body: { model: 'LLM-FuZe-gemma3-4b-i-f16-nvidia-3090ti', from: MODEL, parameters: { num_gpu: best }, stream: false } },
    ])
  })

  it('failed baked variants are deleted; ZERO_TOKPS_BREAK zero rows end the sweep; 0.00 rows are still written', async () => {
    const run = await runWithShims(['--project', 'ollama', 'each-model'], {
      ...base,
      FUZE_SHIM_SIM_ARGS: `${QUICK.FUZE_SHIM_SIM_ARGS} --fault-status 500`,
      FAST_MODE: '0',
      AUTO_NG: '0',
      NUM_GPU_CANDIDATES: '40 30 20 10',
      EXHAUSTIVE: '1',
      ZERO_TOKPS_BREAK: '2',
      BENCH_GPU: UUID_A,
    })
    // every request failed: the run fails (base-as-is measured nothing), with every row written
    expect(run.r.exitCode).toBe(1)
    const rows = run.rows()
    expect(pick(rows, 'num_gpu')).toEqual(['default', 'default', '40', '30'])
    expect(new Set(pick(rows, 'tokens_per_sec'))).toEqual(new Set(['0.00']))
    const calls = run
      .shim()
      .flatMap((e) => e.calls ?? [])
      .map((c) => `${c.path} ${c.body.model}`)
    expect(calls).toEqual([
      '/api/create LLM-FuZe-gemma3-4b-i-f16-nvidia-3090ti-ng40',
      '/api/delete LLM-FuZe-gemma3-4b-i-f16-nvidia-3090ti-ng40',
      '/api/create LLM-FuZe-gemma3-4b-i-f16-nvidia-3090ti-ng30',
      '/api/delete LLM-FuZe-gemma3-4b-i-f16-nvidia-3090ti-ng30',
    ])
  })

  it('KEEP_FAILED_VARIANTS=1 keeps failed variants during the sweep; GC_AFTER_RUN=1 deletes them at the end', async () => {
    const run = await runWithShims(['--project', 'ollama', 'each-model'], {
      ...base,
      FUZE_SHIM_SIM_ARGS: `${QUICK.FUZE_SHIM_SIM_ARGS} --fault-status 500`,
      FAST_MODE: '0',
      AUTO_NG: '0',
      NUM_GPU_CANDIDATES: '40 30 20',
      EXHAUSTIVE: '1',
      ZERO_TOKPS_BREAK: '2',
      KEEP_FAILED_VARIANTS: '1',
      GC_AFTER_RUN: '1',
      BENCH_GPU: UUID_A,
    })
    expect(run.r.exitCode).toBe(1)
    const calls = run
      .shim()
      .flatMap((e) => e.calls ?? [])
      .map((c) => `${c.path} ${c.body.model}`)
    expect(calls).toEqual([
      '/api/create LLM-FuZe-gemma3-4b-i-f16-nvidia-3090ti-ng40',
      '/api/create LLM-FuZe-gemma3-4b-i-f16-nvidia-3090ti-ng30',
      '/api/delete LLM-FuZe-gemma3-4b-i-f16-nvidia-3090ti-ng40',
      '/api/delete LLM-FuZe-gemma3-4b-i-f16-nvidia-3090ti-ng30',
    ])
  })

  it('OLLAMA_SCHED_SPREAD=1 runs one MULTI instance over both GPUs', async () => {
    const run = await runWithShims(['--project', 'ollama', 'llama3.2-3b'], { ...base, OLLAMA_SCHED_SPREAD: '1' })
    expectFlowPassed(run.r)
    const started = launches(run.shim())
    expect(started).toHaveLength(1)
    expect(started[0].env).toMatchObject({ CUDA_VISIBLE_DEVICES: `${UUID_A},${UUID_B}`, OLLAMA_SCHED_SPREAD: '1' })
    const rows = run.rows()
    expect(rows).toHaveLength(3)
    for (const r of rows) {
      expect(r).toMatchObject({
        suffix: 'MULTI',
        gpu_label: 'nvidia-3090ti+nvidia-a6000',
        gpu_uuid: `${UUID_A}+${UUID_B}`,
        gpu_mem_mib: String(24564 + 49140),
        base_model: 'llama3.2:3b',
      })
    }
  })
})

describe('ollama without the binary', () => {
  it('with nothing answering: one skip line per spec naming what to set, exit 0, no CSV', async () => {
    const run = startBench(['--project', 'ollama'], { PATH: barePath(), PERSISTENT_PORT: '9', FUZE_CACHE_DIR: emptyCache() })
    const r = await run.child
    expect(r.exitCode, r.all).toBe(0)
    const lines = r.all!.split('\n').filter((l) => l.startsWith('skipped '))
    const why =
      'no `ollama` binary on PATH and nothing answering at 127.0.0.1:9; set OLLAMA_BIN or OLLAMA_URL (or run `npx fuze-bench setup --stack ollama` to install one into the cache)'
    expect(lines.sort()).toEqual(['each-model', 'llama3.2-3b', 'tiny-random'].map((spec) => `skipped benches/ollama/${spec}.bench.ts: ${why}`))
    expect(r.all).not.toMatch(/Error|at .*\.ts:\d+/)
  })

  it('OLLAMA_URL benches that server as external: nothing spawned, unit external, suffix X', async () => {
    const run = startBench(['--project', 'ollama', 'llama3.2-3b'], { ...QUICK, PATH: barePath(), OLLAMA_URL: daemon.url })
    const r = await run.child
    expectFlowPassed(r)
    const rows = csvRows(onlyRunDir(run.resultsDir))
    expect(rows).toHaveLength(3)
    for (const row of rows)
      expect(row).toMatchObject({ unit: 'external', suffix: 'X', endpoint: `127.0.0.1:${daemon.port}`, base_model: 'llama3.2:3b', gpu_label: 'cpu' })
  })
})

describe('ollama with only the persistent daemon', () => {
  it('no binary but a daemon answering at PERSISTENT_PORT: that daemon is benched as external, never stopped', async () => {
    const run = startBench(['--project', 'ollama', 'llama3.2-3b'], {
      ...QUICK,
      PATH: barePath(),
      PERSISTENT_PORT: String(daemon.port),
      FUZE_CACHE_DIR: emptyCache(),
    })
    const r = await run.child
    expectFlowPassed(r)
    const rows = csvRows(onlyRunDir(run.resultsDir))
    expect(rows.map((x) => `${x.unit} ${x.suffix} ${x.endpoint}`)).toEqual(Array(3).fill(`external X 127.0.0.1:${daemon.port}`))
    // still serving: the fixture never stops a server it did not start
    expect((await fetch(`${daemon.url}/api/version`)).status).toBe(200)
  })
})

describe('ollama test instances and signals', () => {
  it('SIGTERM to the vitest process mid-run leaves no `ollama serve` behind', async () => {
    const log = shimLogFile()
    const run = startBench(['--project', 'ollama', 'llama3.2-3b'], {
      ...QUICK,
      ...base,
      BENCH_REQUESTS: '100000',
      ...(await ports()),
      PATH: shimPath(),
      FUZE_SHIM_LOG: log,
    })
    await waitFor(() => {
      try {
        const f = join(onlyRunDir(run.resultsDir), 'requests.jsonl')
        return readFileSync(f, 'utf8').split('\n').length > 3
      } catch {
        return false
      }
    }, 'the first measured requests')
    const [serve] = launches(readShimLog(log))
    expect(isAlive(serve.pid)).toBe(true)
    run.child.kill('SIGTERM')
    await run.child
    await waitFor(() => !isAlive(serve.pid), 'the shimmed ollama serve to exit', 20_000)
  })
})
