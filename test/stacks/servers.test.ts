// vLLM, SGLang, TGI and Triton end to end on their shims (two GPUs): the exact launch command per slot,
// CUDA_VISIBLE_DEVICES = the slot's GPU UUID, readiness, one CSV row per case and slot, nothing left running;
// and without the binary, one skip line per spec.
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startBench } from '../support/run-bench.ts'
import { barePath, isAlive, launches, runWithShims, expectFlowPassed, SHIMS } from './support.ts'

const UUIDS = ['GPU-3090ti00-1111-2222-3333-444444444444', 'GPU-a6000000-5555-6666-7777-888888888888']
const HF = 'Qwen/Qwen2.5-0.5B-Instruct'

/** Launch argv with the per-run parts (ports) replaced by placeholders. */
const FREE_PORT_FLAGS = new Set(['--master-port', '--grpc-port', '--metrics-port'])
function normalise(argv: string[], ports: Record<string, string>): string[] {
  return argv.map((a, i) =>
    a === ports.PORT_A
      ? '<PORT_A>'
      : a === ports.PORT_B
        ? '<PORT_B>'
        : FREE_PORT_FLAGS.has(argv[i - 1])
          ? '<free>'
          : a.replace(/fuze-tgi-\d+/, 'fuze-tgi-<port>'),
  )
}

async function runStack(project: string, cases: number, env: Record<string, string> = {}, filter: string[] = []) {
  const run = await runWithShims(['--project', project, ...filter], env)
  expectFlowPassed(run.r)
  const started = launches(run.shim())
  expect(started.map((e) => e.env?.CUDA_VISIBLE_DEVICES)).toEqual(UUIDS)
  for (const e of started) expect(isAlive(e.pid)).toBe(false)
  const rows = run.rows()
  expect(rows.map((r) => r.suffix)).toEqual([...Array(cases).fill('A'), ...Array(cases).fill('B')])
  expect(rows.map((r) => r.gpu_uuid)).toEqual([...Array(cases).fill(UUIDS[0]), ...Array(cases).fill(UUIDS[1])])
  expect(rows.map((r) => r.endpoint)).toEqual([...Array(cases).fill(`127.0.0.1:${run.env.PORT_A}`), ...Array(cases).fill(`127.0.0.1:${run.env.PORT_B}`)])
  for (const r of rows) {
    expect(r.unit).toBe('proc')
    expect(Number(r.tokens_per_sec)).toBeGreaterThan(0)
  }
  return { run, rows, argv: started.map((e) => normalise(e.argv!, run.env)) }
}

/**
 * The Qwen spec skips when vLLM could not load the model (not in the Hugging Face cache, no hub): a hub cache of its
 * own that has it, and an empty fuze-bench cache (no generated model, no installed vLLM); only the Qwen spec runs.
 */
function qwenCached(): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'fuze-hf-home-'))
  mkdirSync(join(home, 'hub', `models--${HF.replace('/', '--')}`, 'snapshots', '0123abc'), { recursive: true })
  return { HF_HOME: home, FUZE_CACHE_DIR: mkdtempSync(join(tmpdir(), 'fuze-empty-cache-')) }
}

describe('stacks on their shims, slots A then B', () => {
  it('vllm: `vllm serve <model>` with the SPEC flags, and the server-side TTFT from /metrics beside the client numbers', async () => {
    const env = { ...qwenCached(), DTYPE: 'bfloat16', GPU_MEM_UTIL: '0.8', BENCH_NUM_CTX: '2048' }
    const { run, rows, argv } = await runStack('vllm', 3, env, ['qwen'])
    const expected = (port: string) => [
      'serve',
      HF,
      '--host',
      '127.0.0.1',
      '--port',
      port,
      '--dtype',
      'bfloat16',
      '--max-model-len',
      '2048',
      '--enable-prefix-caching',
      '--enable-prompt-tokens-details',
      '--gpu-memory-utilization',
      '0.8',
    ]
    expect(argv).toEqual([expected('<PORT_A>'), expected('<PORT_B>')])
    expect(rows[0]).toMatchObject({ base_model: HF, model_tag: 'Qwen-Qwen2.5-0.5B-Instruct', num_ctx: '2048', num_gpu: 'default' })
    expect(run.r.all).toMatch(/\[vllm Qwen\/Qwen2\.5-0\.5B-Instruct\] server-side TTFT \(vllm:time_to_first_token_seconds\): mean \d+\.\d\d ms over 6 requests/)
  })

  it('VLLM_MODEL_<alias> maps the spec model to the id vllm serves', async () => {
    const local = mkdtempSync(join(tmpdir(), 'fuze-qwen-local-'))
    const { argv, rows } = await runStack('vllm', 3, { ...qwenCached(), VLLM_MODEL_Qwen_Qwen2_5_0_5B_Instruct: local }, ['qwen'])
    expect(argv[0].slice(0, 2)).toEqual(['serve', local])
    expect(rows[0].base_model).toBe(HF)
  })

  it('sglang: `python3 -m sglang.launch_server` with model path, port and context length', async () => {
    const { argv } = await runStack('sglang', 3)
    const expected = (port: string) => [
      '-m',
      'sglang.launch_server',
      '--model-path',
      HF,
      '--host',
      '127.0.0.1',
      '--port',
      port,
      '--context-length',
      '4096',
      '--mem-fraction-static',
      '0.9',
      '--dtype',
      'auto',
      '--enable-metrics',
    ]
    expect(argv).toEqual([expected('<PORT_A>'), expected('<PORT_B>')])
  })

  it('tgi: `text-generation-launcher --model-id` with its own shard socket and master port per instance', async () => {
    const { argv } = await runStack('tgi', 2)
    const expected = (port: string) => [
      '--model-id',
      HF,
      '--hostname',
      '127.0.0.1',
      '--port',
      port,
      '--max-total-tokens',
      '4096',
      '--max-input-tokens',
      '4095',
      '--shard-uds-path',
      'fuze-tgi-<port>'.replace('fuze', '/tmp/fuze'),
      '--master-port',
      '<free>',
    ]
    expect(argv).toEqual([expected('<PORT_A>'), expected('<PORT_B>')])
  })

  it('triton: `tritonserver --model-repository` and every TRITON_MODELS entry, the alias in model_tag', async () => {
    const { argv, rows } = await runStack('triton', 4, {
      TRITON_MODEL_REPO: '/models/triton',
      TRITON_MODELS: 'ensemble|llama3-8b tensorrt_llm',
      FUZE_SHIM_MODELS: 'ensemble,tensorrt_llm',
    })
    const expected = (port: string) => [
      '--model-repository',
      '/models/triton',
      '--http-address',
      '127.0.0.1',
      '--http-port',
      port,
      '--grpc-address',
      '127.0.0.1',
      '--grpc-port',
      '<free>',
      '--metrics-port',
      '<free>',
    ]
    expect(argv).toEqual([expected('<PORT_A>'), expected('<PORT_B>')])
    expect(rows.slice(0, 4).map((r) => `${r.base_model} ${r.model_tag}`)).toEqual([
      'ensemble llama3-8b',
      'ensemble llama3-8b',
      'tensorrt_llm tensorrt_llm',
      'tensorrt_llm tensorrt_llm',
    ])
  })
})

describe('readiness', () => {
  it('a server that never becomes ready fails the spec at WAIT_API_SECS with the command and its log, and is killed', async () => {
    const run = await runWithShims(['--project', 'tgi'], { WAIT_API_SECS: '6', FUZE_SHIM_SIM_ARGS: '--ready-delay-ms 600000' })
    expect(run.r.exitCode).not.toBe(0)
    expect(run.r.all).toContain('was not ready at http://127.0.0.1:')
    // the simulator answers 503 while "loading" (or nothing yet, when it starts slowly on a loaded machine)
    expect(run.r.all).toMatch(/\/health within 6 s \(last answer: (HTTP 503 \{"error":"Model is loading"|.*ECONNREFUSED)/)
    expect(run.r.all).toContain(`command: ${SHIMS}/text-generation-launcher --model-id Qwen/Qwen2.5-0.5B-Instruct --hostname 127.0.0.1`)
    expect(run.r.all).toContain('Raise WAIT_API_SECS')
    const started = launches(run.shim())
    expect(started).toHaveLength(1)
    expect(isAlive(started[0].pid)).toBe(false)
  })
})

describe('stacks not installed', () => {
  it('each spec of each stack is skipped with one line naming what to set; exit 0', async () => {
    // an empty cache: nothing `fuze-bench setup --stack …` installed on this machine
    const run = startBench(['--project', 'vllm', '--project', 'sglang', '--project', 'tgi', '--project', 'triton'], {
      PATH: barePath(),
      SGLANG_BIN: 'python3',
      FUZE_CACHE_DIR: mkdtempSync(join(tmpdir(), 'fuze-empty-cache-')),
    })
    const r = await run.child
    expect(r.exitCode, r.all).toBe(0)
    const lines = r.all!.split('\n').filter((l) => l.startsWith('skipped '))
    expect(lines.sort()).toEqual([
      'skipped benches/sglang/each-model.bench.ts: no `python3` binary on PATH and SGLANG_URL is not set; set SGLANG_BIN or SGLANG_URL',
      'skipped benches/sglang/qwen2.5-0.5b-instruct.bench.ts: no `python3` binary on PATH and SGLANG_URL is not set; set SGLANG_BIN or SGLANG_URL',
      'skipped benches/tgi/each-model.bench.ts: no `text-generation-launcher` binary on PATH and TGI_URL is not set; set TGI_BIN or TGI_URL',
      'skipped benches/tgi/qwen2.5-0.5b-instruct.bench.ts: no `text-generation-launcher` binary on PATH and TGI_URL is not set; set TGI_BIN or TGI_URL',
      'skipped benches/triton/each-model.bench.ts: no `tritonserver` binary on PATH and TRITON_URL is not set; set TRITON_BIN or TRITON_URL (or run `npx fuze-bench setup --stack triton` to install one into the cache)',
      'skipped benches/triton/tiny-random.bench.ts: no `tritonserver` binary on PATH and TRITON_URL is not set; set TRITON_BIN or TRITON_URL (or run `npx fuze-bench setup --stack triton` to install one into the cache)',
      'skipped benches/vllm/each-model.bench.ts: no `vllm` binary on PATH and VLLM_URL is not set; set VLLM_BIN or VLLM_URL (or run `npx fuze-bench setup --stack vllm` to install one into the cache)',
      'skipped benches/vllm/qwen2.5-0.5b-instruct.bench.ts: no `vllm` binary on PATH and VLLM_URL is not set; set VLLM_BIN or VLLM_URL (or run `npx fuze-bench setup --stack vllm` to install one into the cache)',
      'skipped benches/vllm/tiny-random.bench.ts: no `vllm` binary on PATH and VLLM_URL is not set; set VLLM_BIN or VLLM_URL (or run `npx fuze-bench setup --stack vllm` to install one into the cache)',
    ])
    expect(
      readdirSync(run.resultsDir)
        .filter((d) => !d.startsWith('.'))
        .every((d) => !readdirSync(`${run.resultsDir}/${d}`).includes('bench.csv')),
    ).toBe(true)
  })
})
