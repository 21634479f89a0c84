// Every knob: one good value (parsed to the right typed value) and one bad value (a KnobError naming
// the key, value, source and what is allowed). A knob added without a row here fails the first test.
import { describe, expect, it } from 'vitest'
import { KNOB_DEFS, KnobError, loadKnobs, type Knobs } from '../../env/index.ts'
import { GATE_METRICS } from '../../helpers/metrics/registry.ts'
import { DEFAULT_THRESHOLDS, THRESHOLD_ENV, thresholdsFromEnv } from '../../reporters/gate.ts'

type Case = { good: string; expect: unknown; bad: string; field?: (k: Knobs) => unknown }

const CASES: Record<string, Case> = {
  BENCH_NUM_PREDICT: { good: '64', expect: 64, bad: 'abc' },
  BENCH_NUM_CTX: { good: '8192', expect: 8192, bad: '4k' },
  TEMPERATURE: { good: '0.7', expect: 0.7, bad: '-1' },
  BENCH_PROMPT: { good: 'Hello\nworld', expect: 'Hello\nworld', bad: 'a\u0000b' },
  BATCH: { good: '512', expect: 512, bad: '0' },
  BENCH_WARMUP: { good: '0', expect: 0, bad: '-2' },
  BENCH_REQUESTS: { good: '25', expect: 25, bad: '2.5' },
  BENCH_CONCURRENCY: { good: '1,8 32', expect: [1, 8, 32], bad: '1,x' },
  BENCH_RATE: { good: '0.5, 2', expect: [0.5, 2], bad: '0' },
  BENCH_ARRIVAL: { good: 'constant', expect: 'constant', bad: 'uniform' },
  BENCH_DURATION: { good: '30', expect: 30, bad: '0' },
  BENCH_PRESET: { good: 'chatbot', expect: 'chatbot', bad: 'chat' },
  BENCH_TRIALS: { good: '3', expect: 3, bad: '0' },
  BENCH_SHARD: { good: '2/3', expect: { index: 2, count: 3 }, bad: '3/2' },
  BENCH_START_AT: { good: '2026-12-01T20:30:00Z', expect: Date.UTC(2026, 11, 1, 20, 30), bad: '20:30' },
  BENCH_CAPACITY: { good: 'true', expect: true, bad: 'sometimes' },
  BENCH_CAPACITY_PROBE_S: { good: '5', expect: 5, bad: '0' },
  BENCH_TRACE: { good: 'traces/week.csv', expect: 'traces/week.csv', bad: 'a\nb' },
  BENCH_TRACE_TIME_SCALE: { good: '0.5', expect: 0.5, bad: '0' },
  BENCH_TRACE_LIMIT: { good: '100', expect: 100, bad: '1.5' },
  BENCH_TRACE_MAX_INPUT_TOKENS: { good: '2048', expect: 2048, bad: '0' },
  BENCH_TRACE_MAX_OUTPUT_TOKENS: { good: '256', expect: 256, bad: '-1' },
  BENCH_CLIENT_PROCS: { good: '4', expect: 4, bad: '0' },
  BENCH_BUSY_POLL: { good: '0', expect: '0', bad: 'on' },
  BENCH_CAPACITY_BUDGET_S: { good: '170', expect: 170, bad: '-1' },
  TIMEOUT_GEN: { good: '90', expect: 90, bad: 'never' },
  TIMEOUT_TAGS: { good: '2.5', expect: 2.5, bad: '0' },
  WAIT_API_SECS: { good: '600', expect: 600, bad: '-5' },
  VERBOSE: { good: 'yes', expect: true, bad: '2' },
  DEBUG: { good: 'true', expect: true, bad: 'verbose' },
  LOG_DIR: { good: '/var/log/fuze', expect: '/var/log/fuze', bad: 'a\nb' },
  BENCH_SLO_TTFT_MS: { good: '250', expect: 250, bad: 'fast' },
  BENCH_SLO_TPOT_MS: { good: '40.5', expect: 40.5, bad: '0' },
  BENCH_SLO_E2E_MS: { good: '5000', expect: 5000, bad: '-1' },
  BENCH_BASELINE: { good: 'results/x/summary.json', expect: 'results/x/summary.json', bad: 'x\ty' },
  BENCH_JUNIT: { good: 'junit.xml', expect: 'junit.xml', bad: 'a\rb' },
  BENCH_GATE_TOKPS_DROP_PCT: { good: '5', expect: 5, bad: '-5' },
  BENCH_GATE_TTFT_P50_RISE_PCT: { good: '20.5', expect: 20.5, bad: '20%' },
  BENCH_GATE_TTFT_P99_RISE_PCT: { good: '50', expect: 50, bad: 'x' },
  BENCH_GATE_TPOT_P50_RISE_PCT: { good: '0', expect: 0, bad: '-1' },
  BENCH_GATE_TPOT_P99_RISE_PCT: { good: '40', expect: 40, bad: 'lots' },
  BENCH_GATE_E2E_P50_RISE_PCT: { good: '12', expect: 12, bad: '1e' },
  BENCH_GATE_E2E_P99_RISE_PCT: { good: '30', expect: 30, bad: '--1' },
  BENCH_GATE_ERROR_RATE_MAX_PCT: { good: '5', expect: 5, bad: '101' },
  BENCH_GATE_ALPHA: { good: '0.01', expect: 0.01, bad: '1.5' },
  BENCH_GATE_NOISE_FLOOR_MS: { good: '2.5', expect: 2.5, bad: '-1' },
  BENCH_GATE_RUN_NOISE_PCT: { good: '6', expect: 6, bad: 'six' },
  BENCH_GATE_INCONCLUSIVE: { good: 'fail', expect: 'fail', bad: 'maybe' },
  BENCH_BASELINE_RUNS: { good: '5', expect: 5, bad: '0' },
  BENCH_UPDATE_BASELINE: { good: '1', expect: true, bad: 'update' },
  BENCH_ALLOW_CLIENT_BOUND: { good: 'on', expect: true, bad: 'sometimes' },
  BENCH_METRICS_INTERVAL_MS: { good: '250', expect: 250, bad: '10' },
  BENCH_COST_PER_HOUR: { good: '2.49', expect: 2.49, bad: '0' },
  BENCH_ENV_FILE: { good: 'a.env, b.env', expect: ['a.env', 'b.env'], bad: ', ,' },
  CUDA_VISIBLE_DEVICES: { good: 'GPU-1234,1', expect: 'GPU-1234,1', bad: '0\n1' },
  BENCH_GPU: { good: '0,1', expect: '0,1', bad: '\u0007' },
  MATCH_GPU_A: { good: '3090', expect: '3090', bad: '\u001b[1m' },
  MATCH_GPU_B: { good: 'A6000', expect: 'A6000', bad: 'a\nb' },
  OLLAMA_SCHED_SPREAD: { good: '1', expect: true, bad: 'spread' },
  PORT_A: { good: '12000', expect: 12000, bad: '70000' },
  PORT_B: { good: '12001', expect: 12001, bad: '0' },
  PERSISTENT_PORT: { good: '11434', expect: 11434, bad: 'http' },
  INCLUDE_MODELS: { good: '^gemma3:4b$', expect: /^gemma3:4b$/, bad: '(gemma' },
  EXCLUDE_MODELS: { good: 'embed|clip', expect: /embed|clip/, bad: '[a-' },
  ALIAS_PREFIX: { good: 'FuZeCORE-', expect: 'FuZeCORE-', bad: 'x\ny' },
  ALIAS_SUFFIX: { good: '-explore', expect: '-explore', bad: '\t' },
  BENCH_MODEL_PRESET: { good: 'small', expect: 'small', bad: 'huge' },
  FAST_MODE: { good: '0', expect: false, bad: 'fast' },
  AUTO_NG: { good: 'no', expect: false, bad: '01' },
  NG_PERCENT_SET: { good: '100 50 10', expect: [100, 50, 10], bad: '100 150' },
  NUM_GPU_CANDIDATES: { good: '80,40', expect: [80, 40], bad: '-1' },
  NGL_CANDIDATES: { good: '-1 0', expect: [-1, 0], bad: '-2' },
  EXHAUSTIVE: { good: 'FALSE', expect: false, bad: 'all' },
  ZERO_TOKPS_BREAK: { good: '1', expect: 1, bad: '0' },
  NO_IMPROVE_LIMIT: { good: '10', expect: 10, bad: 'ten' },
  EARLY_STOP_DELTA: { good: '0.1', expect: 0.1, bad: '10%' },
  KEEP_FAILED_VARIANTS: { good: '1', expect: true, bad: 'keep' },
  GC_AFTER_RUN: { good: '0', expect: false, bad: 'gc' },
  PUBLISH_BEST: { good: 'yes', expect: true, bad: '3x' },
  OLLAMA_BIN: { good: '/usr/local/bin/ollama', expect: '/usr/local/bin/ollama', bad: 'ollama\n' },
  OLLAMA_MODELS: { good: '/FuZe/models/ollama', expect: '/FuZe/models/ollama', bad: '\u0000' },
  OLLAMA_URL: { good: 'http://10.0.0.5:11434/', expect: 'http://10.0.0.5:11434', bad: 'ftp://host' },
  LLAMACPP_BIN: { good: 'llama-server', expect: 'llama-server', bad: 'a\nb' },
  LLAMACPP_URL: { good: '127.0.0.1:8080', expect: 'http://127.0.0.1:8080', bad: 'http://' },
  MODEL_DIR: { good: '/models', expect: '/models', bad: '\n' },
  'LLAMACPP_PATH_<alias>': { good: '/m/g.gguf', expect: { gemma3_4b_i_f16: '/m/g.gguf' }, bad: 'a\nb', field: (k) => k.perAlias.LLAMACPP_PATH },
  LLAMACPP_MODELS_ENV: { good: 'env/models.env', expect: 'env/models.env', bad: '\u0001' },
  VLLM_BIN: { good: 'vllm', expect: 'vllm', bad: 'v\nllm' },
  VLLM_URL: { good: 'https://vllm.example.com/', expect: 'https://vllm.example.com', bad: 'not a url' },
  'VLLM_MODEL_<alias>': {
    good: 'google/gemma-3-4b-it',
    expect: { gemma3_4b_i_f16: 'google/gemma-3-4b-it' },
    bad: '\u0002',
    field: (k) => k.perAlias.VLLM_MODEL,
  },
  DTYPE: { good: 'bfloat16', expect: 'bfloat16', bad: 'int4' },
  GPU_MEM_UTIL: { good: '0.85', expect: 0.85, bad: '0' },
  TRITON_BIN: { good: '/opt/tritonserver/bin/tritonserver', expect: '/opt/tritonserver/bin/tritonserver', bad: 'a\nb' },
  TRITON_URL: { good: '127.0.0.1:8000', expect: 'http://127.0.0.1:8000', bad: 'ws://x' },
  TRITON_HTTP_B: { good: '127.0.0.1:8001', expect: 'http://127.0.0.1:8001', bad: ':8001' },
  TRITON_MODELS: {
    good: 'ensemble|gemma3 llama3',
    expect: [
      { name: 'ensemble', alias: 'gemma3' },
      { name: 'llama3', alias: 'llama3' },
    ],
    bad: 'a|b|c',
  },
  TRITON_MODEL_REPO: { good: '/models/triton', expect: '/models/triton', bad: 'a\nb' },
  TGI_BIN: { good: 'text-generation-launcher', expect: 'text-generation-launcher', bad: 'x\ny' },
  TGI_URL: { good: 'http://tgi:80', expect: 'http://tgi:80', bad: 'http://exa mple' },
  SGLANG_BIN: { good: 'python3.11', expect: 'python3.11', bad: 'p\ny' },
  SGLANG_URL: { good: 'localhost:30000', expect: 'http://localhost:30000', bad: 'mailto:x' },
  OPENAI_URL: { good: 'https://api.example.com/v1', expect: 'https://api.example.com/v1', bad: 'api key' },
  OPENAI_API_KEY: { good: 'sk-abc123', expect: 'sk-abc123', bad: 'sk-\nabc' },
}

// A gate threshold knob comes with its metric's registry descriptor; without a hand-written row it gets this one.
for (const g of GATE_METRICS) CASES[g.knob] ??= { good: '12.5', expect: 12.5, bad: '-1' }

const keyOf = (name: string) => name.replace('<alias>', 'gemma3_4b_i_f16')

describe('knob schema', () => {
  it('has a good and a bad value case for every knob, and nothing else', () => {
    expect(Object.keys(CASES).sort()).toEqual(KNOB_DEFS.map((d) => d.name).sort())
  })

  it('every default parses', () => {
    expect(() => loadKnobs({ env: {} })).not.toThrow()
  })

  for (const def of KNOB_DEFS) {
    const c = CASES[def.name]
    it(`${def.name}: accepts ${JSON.stringify(c?.good)}`, () => {
      const knobs = loadKnobs({ env: { [keyOf(def.name)]: c.good } })
      const got = c.field ? c.field(knobs) : (knobs as unknown as Record<string, unknown>)[def.name]
      expect(got).toEqual(c.expect)
    })
    it(`${def.name}: rejects ${JSON.stringify(c?.bad)} naming key, value, source and what is allowed`, () => {
      let err: unknown
      try {
        loadKnobs({ env: { [keyOf(def.name)]: c.bad } })
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(KnobError)
      const ke = err as KnobError
      expect(ke.issues).toEqual([{ key: keyOf(def.name), value: c.bad, source: 'environment', allowed: def.allowed, kind: 'invalid' }])
      // a secret's value never appears in a message, even a wrong one
      expect(ke.message).toContain(`${keyOf(def.name)}='${def.secret ? '***' : c.bad}' (from environment) is not valid: expected ${def.allowed}.`)
    })
  }
})

describe('gate thresholds and the knob schema agree', () => {
  const PROBES = ['0', '1', '0.05', '0.999', '1.5', '100', '101', '-1', '1e-3', ' 7 ', 'x', '0x10', 'Infinity', '10%']
  const accepts = (fn: () => unknown) => {
    try {
      fn()
      return true
    } catch {
      return false
    }
  }

  it('every BENCH_GATE_* value the knob check accepts before the run, the gate accepts after it, and no other', () => {
    for (const name of Object.values(THRESHOLD_ENV))
      for (const v of PROBES)
        expect(
          accepts(() => thresholdsFromEnv({ [name]: v })),
          `${name}=${JSON.stringify(v)}`,
        ).toBe(accepts(() => loadKnobs({ env: { [name]: v } })))
  })

  it('BENCH_GATE_ALPHA=1 is refused up front by the knob check (it used to pass it and fail the gate after every bench)', () => {
    expect(() => loadKnobs({ env: { BENCH_GATE_ALPHA: '1' } })).toThrow("BENCH_GATE_ALPHA='1' (from environment) is not valid: expected a number > 0 and < 1.")
    expect(() => thresholdsFromEnv({ BENCH_GATE_ALPHA: '1' })).toThrow(
      "BENCH_GATE_ALPHA='1' is not valid: expected a number > 0 and < 1. Unset it to use the default 0.05.",
    )
    expect(thresholdsFromEnv({ BENCH_GATE_ALPHA: '0.01' }).alpha).toBe(0.01)
  })

  it('the gate defaults are the schema defaults', () => {
    const knobs = loadKnobs({ env: {} }) as unknown as Record<string, number>
    for (const [key, name] of Object.entries(THRESHOLD_ENV)) expect(DEFAULT_THRESHOLDS[key as keyof typeof DEFAULT_THRESHOLDS], name).toBe(knobs[name])
  })
})
