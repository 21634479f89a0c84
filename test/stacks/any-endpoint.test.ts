// <STACK>_URL alone benchmarks every model the endpoint lists: vLLM's and SGLang's /v1/models, TGI's /info,
// Triton's repository index — through each stack's "each served model" spec, with INCLUDE_MODELS/EXCLUDE_MODELS;
// a fixed-model spec whose model is not served skips with one line naming the mapping knob and its exact key.
import { afterAll, describe, expect, it } from 'vitest'
import { startSim, type SimHandle } from '../../sim/index.ts'
import { onlyRunDir, startBench } from '../support/run-bench.ts'
import { barePath, csvRows, expectFlowPassed, QUICK } from './support.ts'

const sims: SimHandle[] = []
afterAll(async () => {
  for (const s of sims) await s.close()
})

async function sim(protocol: 'openai' | 'tgi' | 'triton', models: string[]): Promise<SimHandle> {
  const s = await startSim({ protocol, models, itlMs: 1 })
  sims.push(s)
  return s
}

const skipLines = (all: string | undefined) => (all ?? '').split('\n').filter((l) => l.startsWith('skipped '))

describe('any endpoint, nothing else set', () => {
  it("VLLM_URL=<a server serving only 'adv'> benchmarks 'adv'; the Qwen spec skips naming VLLM_MODEL_Qwen_Qwen2_5_0_5B_Instruct", async () => {
    const s = await sim('openai', ['adv'])
    // no knob but the URL (the run's LOG_DIR aside): default warmup, requests and lengths
    const run = startBench(['--project', 'vllm'], { PATH: barePath(), VLLM_URL: s.url })
    const r = await run.child
    expectFlowPassed(r)
    const rows = csvRows(onlyRunDir(run.resultsDir))
    expect(rows.map((x) => x.base_model)).toEqual(['adv', 'adv'])
    for (const row of rows) expect(row).toMatchObject({ unit: 'external', endpoint: `127.0.0.1:${s.port}`, model_tag: 'adv' })
    // one line per fixed-model spec, in whatever order vitest collected the files
    expect(skipLines(r.all).sort()).toEqual([
      `skipped benches/vllm/qwen2.5-0.5b-instruct.bench.ts: ${s.url}/v1/models lists 'adv', not 'Qwen/Qwen2.5-0.5B-Instruct'; ` +
        `map this spec's model with VLLM_MODEL_Qwen_Qwen2_5_0_5B_Instruct=<served id>, or bench every served model with benches/vllm/each-model.bench.ts`,
      `skipped benches/vllm/tiny-random.bench.ts: ${s.url}/v1/models lists 'adv', not 'tiny-random'; ` +
        `map this spec's model with VLLM_MODEL_tiny_random=<served id>, or bench every served model with benches/vllm/each-model.bench.ts`,
    ])
  })

  it('SGLANG_URL with EXCLUDE_MODELS: every listed model but the excluded one', async () => {
    const s = await sim('openai', ['keep-a', 'drop-b', 'keep-c'])
    const run = startBench(['--project', 'sglang', 'each-model'], { ...QUICK, PATH: barePath(), SGLANG_URL: s.url, EXCLUDE_MODELS: '^drop' })
    const r = await run.child
    expectFlowPassed(r)
    expect([...new Set(csvRows(onlyRunDir(run.resultsDir)).map((x) => x.base_model))]).toEqual(['keep-a', 'keep-c'])
  })

  it("TGI_URL benches the model /info names; TRITON_URL without TRITON_MODELS benches the repository's ready models", async () => {
    const t = await sim('tgi', ['org/served-model'])
    const tr = await sim('triton', ['ens-a', 'ens-b'])
    const run = startBench(['--project', 'tgi', '--project', 'triton', 'each-model'], {
      ...QUICK,
      PATH: barePath(),
      TGI_URL: t.url,
      TRITON_URL: tr.url,
      INCLUDE_MODELS: 'served|ens-b',
    })
    const r = await run.child
    expectFlowPassed(r)
    const rows = csvRows(onlyRunDir(run.resultsDir))
    expect([...new Set(rows.map((x) => `${x.endpoint} ${x.base_model}`))].sort()).toEqual(
      [`127.0.0.1:${t.port} org/served-model`, `127.0.0.1:${tr.port} ens-b`].sort(),
    )
  })

  it('INCLUDE_MODELS matching nothing: one skip line saying how many were listed and by which filter', async () => {
    const s = await sim('openai', ['adv'])
    const run = startBench(['--project', 'vllm', 'each-model'], { ...QUICK, PATH: barePath(), VLLM_URL: s.url, INCLUDE_MODELS: '^none$' })
    const r = await run.child
    expect(r.exitCode, r.all).toBe(0)
    expect(skipLines(r.all)).toContain(
      `skipped benches/vllm/each-model.bench.ts: no models to bench at ${s.url} (1 listed, filtered by INCLUDE_MODELS=^none$); serve one or change INCLUDE_MODELS/EXCLUDE_MODELS`,
    )
  })
})
