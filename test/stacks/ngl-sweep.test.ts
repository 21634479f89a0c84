// The -ngl sweep on a real llama-server (the generated tiny model): one server per candidate, rows per variant.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { freePort } from '../../fixtures/ports.ts'
import { onlyRunDir, startBench } from '../support/run-bench.ts'
import { csvRows, expectFlowPassed, shimPath } from './support.ts'

describe('llama.cpp -ngl sweep', () => {
  it('measures base-as-is, then restarts llama-server with each --n-gpu-layers, then restores the spec settings', async () => {
    const port = String(await freePort())
    const run = startBench(['--project', 'llama.cpp', 'ngl-sweep'], {
      BENCH_WARMUP: '0',
      BENCH_REQUESTS: '2',
      BENCH_NUM_PREDICT: '8',
      BENCH_ALLOW_CLIENT_BOUND: '1', // checks the flow; a loaded test machine must not fail it as client-bound
      PORT_A: port,
      // EXHAUSTIVE=1 with more patience than candidates: every candidate is measured (the stop rules themselves
      // are unit-tested; real tok/s on a loaded machine is too noisy to make them fire at a known candidate)
      NGL_CANDIDATES: '-1 0 4',
      EXHAUSTIVE: '1',
      NO_IMPROVE_LIMIT: '5',
      CUDA_VISIBLE_DEVICES: '', // CPU: suffix X, label cpu, whatever GPUs the machine has
    })
    const r = await run.child
    expectFlowPassed(r)
    const dir = onlyRunDir(run.resultsDir)
    const rows = csvRows(dir)
    expect(rows.map((x) => [x.variant_label, x.num_gpu, x.model_tag])).toEqual([
      ['base-as-is', 'default', 'tiny-random-cpu-ngldefault'],
      ['optimized', '-1', 'tiny-random-cpu-ngl-1'],
      ['optimized', '0', 'tiny-random-cpu-ngl0'],
      ['optimized', '4', 'tiny-random-cpu-ngl4'],
    ])
    for (const x of rows) expect(x).toMatchObject({ endpoint: `127.0.0.1:${port}`, unit: 'proc', suffix: 'X', base_model: 'tiny-random', num_predict: '8' })
    for (const x of rows) expect(Number(x.tokens_per_sec)).toBeGreaterThan(0)
    // each candidate got its own server: the log shows one start per variant plus the restore to the spec's settings
    const log = readFileSync(join(dir, 'logs', `llama.cpp-X-${port}.log`), 'utf8')
    expect(log.match(/listening on http:\/\/127\.0\.0\.1/g)?.length).toBe(5)
    expect(r.all).not.toContain('-ngl sweep stopped after')
    // one progress line per variant as it finishes, candidates counted
    // (✓, or ! when the loaded test machine made it client-bound, which BENCH_ALLOW_CLIENT_BOUND accepts)
    const progress = r.all.split('\n').filter((l) => /^[✓!] llama\.cpp tiny-random › /.test(l))
    expect(progress.map((l) => l.replace(/ · .*$/, '').replace(/^!/, '✓'))).toEqual([
      '✓ llama.cpp tiny-random › tiny-random on llama.cpp A > ngl sweep [base-as-is]',
      '✓ llama.cpp tiny-random › tiny-random on llama.cpp A > ngl sweep [ngl=-1] (candidate 1/3)',
      '✓ llama.cpp tiny-random › tiny-random on llama.cpp A > ngl sweep [ngl=0] (candidate 2/3)',
      '✓ llama.cpp tiny-random › tiny-random on llama.cpp A > ngl sweep [ngl=4] (candidate 3/3)',
    ])
  })

  it('runs the sweep on slot A then B with two GPUs (nvidia-smi shim): GPU columns and model tags per slot', async () => {
    const [portA, portB] = [String(await freePort()), String(await freePort())]
    const run = startBench(['--project', 'llama.cpp', 'ngl-sweep'], {
      BENCH_WARMUP: '0',
      BENCH_REQUESTS: '2',
      BENCH_NUM_PREDICT: '8',
      BENCH_ALLOW_CLIENT_BOUND: '1',
      PORT_A: portA,
      PORT_B: portB,
      NGL_CANDIDATES: '0 4',
      PATH: shimPath(),
    })
    const r = await run.child
    expectFlowPassed(r)
    const dir = onlyRunDir(run.resultsDir)
    const rows = csvRows(dir)
    expect(rows.map((x) => [x.suffix, x.endpoint, x.variant_label, x.num_gpu, x.model_tag, x.gpu_label, x.gpu_mem_mib])).toEqual([
      ['A', `127.0.0.1:${portA}`, 'base-as-is', 'default', 'tiny-random-nvidia-3090ti-ngldefault', 'nvidia-3090ti', '24564'],
      ['A', `127.0.0.1:${portA}`, 'optimized', '0', 'tiny-random-nvidia-3090ti-ngl0', 'nvidia-3090ti', '24564'],
      ['B', `127.0.0.1:${portB}`, 'base-as-is', 'default', 'tiny-random-nvidia-a6000-ngldefault', 'nvidia-a6000', '49140'],
      ['B', `127.0.0.1:${portB}`, 'optimized', '0', 'tiny-random-nvidia-a6000-ngl0', 'nvidia-a6000', '49140'],
    ])
    expect(readdirSync(join(dir, 'logs')).sort()).toEqual([`llama.cpp-A-${portA}.log`, `llama.cpp-B-${portB}.log`].sort())
  })
})
