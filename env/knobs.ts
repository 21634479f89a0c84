// Every knob fuze-bench reads: one entry with its schema, default and description.
// Names are the FuZe shell suite's (users' env files keep working); docs/spec.md §1 is the source.
import { GATE_METRICS } from '../helpers/metrics/registry.ts'
import {
  anyText,
  bool,
  instant,
  int,
  intList,
  num,
  numList,
  oneOf,
  pairList,
  pct,
  promptText,
  regex,
  shard,
  text,
  textList,
  url,
  type ValueSchema,
} from './schema.ts'

export type KnobGroup =
  | 'request'
  | 'load'
  | 'gpu'
  | 'ports'
  | 'models'
  | 'sweep'
  | 'ollama'
  | 'llama.cpp'
  | 'vllm'
  | 'triton'
  | 'tgi'
  | 'sglang'
  | 'openai'
  | 'output'

/** One knob. N, T, D (name, parsed value type, default) are kept literal so the Knobs type can be derived. */
export interface KnobDef<N extends string = string, T = unknown, D extends string | undefined = string | undefined> {
  /** The variable name; per-alias knobs are written `LLAMACPP_PATH_<alias>`. */
  name: N
  /** Default as written in docs/spec.md (a string, like an env file value), or undefined = unset. */
  default: D
  description: string
  /** What a valid value looks like, in words (used in errors and the README). */
  allowed: string
  /** Older names accepted for this knob; the canonical name wins when both are set in one place. */
  aliases?: string[]
  /** Never printed or written in clear (env.json, error messages). */
  secret?: boolean
  group: KnobGroup
  /** Per-alias family: `LLAMACPP_PATH_<alias>` matches every `LLAMACPP_PATH_*` key. */
  perAlias?: boolean
  /** An empty value normally means "unset, use the default"; for these it is a real value. */
  emptyIsValue?: boolean
  schema: ValueSchema<T>['schema']
}

export const DEFAULT_PROMPT = 'Write a short story about a lighthouse keeper who finds a message in a bottle.'

function knob<const N extends string, T, const D extends string | undefined>(
  name: N,
  def: D,
  v: ValueSchema<T>,
  group: KnobGroup,
  description: string,
  extra: Partial<Pick<KnobDef, 'aliases' | 'secret' | 'perAlias' | 'emptyIsValue'>> = {},
): KnobDef<N, T, D> {
  return { name, default: def, description, allowed: v.allowed, group, schema: v.schema, ...extra }
}

// Typed as what the entries are (not KnobDef[]) so `Knobs` below is derived from them.
export const KNOB_DEFS = [
  // request shape
  knob('BENCH_NUM_PREDICT', '128', int(1), 'request', 'Tokens to generate per request (sent as max_tokens / n_predict / options.num_predict).'),
  knob('BENCH_NUM_CTX', '4096', int(16), 'request', 'Context size (Ollama options.num_ctx, llama.cpp --ctx-size, vLLM --max-model-len).'),
  knob('TEMPERATURE', '0.0', num(0, 2), 'request', 'Sampling temperature.'),
  knob('BENCH_PROMPT', DEFAULT_PROMPT, promptText(), 'request', 'Prompt text (load presets provide token-length prompts).'),
  knob('BATCH', '32', int(1), 'request', 'llama.cpp --batch-size (recorded in the CSV for all stacks).'),
  // load
  knob('BENCH_WARMUP', '2', int(0, 1000), 'load', 'Warmup requests per bench case (never counted).'),
  knob('BENCH_REQUESTS', '10', int(1, 100_000_000), 'load', 'Measured requests per bench case (a case keeps bounded state, so millions are fine).'),
  knob('BENCH_CONCURRENCY', '1', intList(1, 4096), 'load', 'Concurrent streams; a list (1,8,32) gives one case each.'),
  knob('BENCH_RATE', undefined, numList(0), 'load', 'Request rate(s) in requests/s for open-loop load; a list gives one case each.'),
  knob(
    'BENCH_ARRIVAL',
    'poisson',
    oneOf(['poisson', 'constant'] as const),
    'load',
    'Arrival process of BENCH_RATE cases: poisson (bursty, like real users) or constant (evenly spaced).',
  ),
  knob('BENCH_DURATION', undefined, num(0, undefined, true), 'load', 'Seconds to keep sending at BENCH_RATE (instead of a request count).'),
  knob('BENCH_PRESET', undefined, oneOf(['chatbot', 'batch', 'edge'] as const), 'load', 'Load preset (prompt/output lengths and concurrency profile).'),
  knob('BENCH_TRIALS', '1', int(1, 100), 'load', 'Repetitions of each case; results keep every trial.'),
  knob(
    'BENCH_SHARD',
    undefined,
    shard(),
    'load',
    'This process sends shard i of n of every case (rate ÷ n, streams and requests split); join the shards with fuze-bench merge.',
  ),
  knob(
    'BENCH_START_AT',
    undefined,
    instant(),
    'load',
    "Common instant the first measured phase of every shard starts at (epoch ms or ISO time); also the run id's time.",
  ),
  knob(
    'BENCH_CLIENT_PROCS',
    '1',
    int(1, 64),
    'load',
    'Client processes each load case is spread over on this host (shards of one case, merged into one result); raise it when a case is client-bound.',
  ),
  knob(
    'BENCH_BUSY_POLL',
    'auto',
    oneOf(['auto', '1', '0'] as const),
    'load',
    "Keep the measuring process's event loop turning while a case measures (one core), so a halted vCPU's wake-up is not in the timestamps; auto: on unless the server computes on this machine's CPU or there is a single core.",
  ),
  knob(
    'BENCH_CAPACITY',
    '0',
    bool(),
    'load',
    'Turn every case into a capacity search: the highest request rate sustained inside BENCH_SLO_* (open-loop probes, bracket then bisect).',
  ),
  knob(
    'BENCH_TRACE',
    undefined,
    text(),
    'load',
    "Turn every case into a replay of this trace (Azure or BurstGPT .csv, Mooncake .jsonl): each request at its timestamp with its token lengths (a case's own concurrency caps it).",
  ),
  knob('BENCH_TRACE_TIME_SCALE', '1', num(0, undefined, true), 'load', 'Trace replay: multiplier on the trace time axis (0.5 = twice as fast).'),
  knob('BENCH_TRACE_LIMIT', undefined, int(1), 'load', 'Trace replay: only the first N requests of the trace.'),
  knob('BENCH_TRACE_MAX_INPUT_TOKENS', undefined, int(1), 'load', "Trace replay: clamp each request's prompt tokens (a server with a small context)."),
  knob('BENCH_TRACE_MAX_OUTPUT_TOKENS', undefined, int(1), 'load', "Trace replay: clamp each request's output tokens."),
  knob('BENCH_CAPACITY_PROBE_S', '10', num(0, undefined, true), 'load', 'Capacity search: seconds of Poisson arrivals per probe rate.'),
  knob(
    'BENCH_CAPACITY_BUDGET_S',
    '300',
    num(0, undefined, true),
    'load',
    'Capacity search: most seconds the whole search may take; it reports the bracket it reached.',
  ),
  knob('TIMEOUT_GEN', '300', num(0, undefined, true), 'load', 'Per-request timeout, seconds.'),
  knob('TIMEOUT_TAGS', '10', num(0, undefined, true), 'load', 'Timeout of metadata calls (/api/tags, /v1/models), seconds.'),
  knob('WAIT_API_SECS', '120', num(0, undefined, true), 'load', 'Readiness deadline for a started server, seconds.'),
  // output and gates
  knob('VERBOSE', '0', bool(), 'output', 'More output.'),
  knob('DEBUG', '0', bool(), 'output', 'Keep request and response bodies of failing requests.', { aliases: ['DEBUG_BENCH'] }),
  knob('LOG_DIR', './results', text(), 'output', 'Where run folders and aggregates go.', { aliases: ['BENCH_RESULTS_DIR'] }),
  knob('BENCH_SLO_TTFT_MS', undefined, num(0, undefined, true), 'output', 'Gate: fail the run when p95 TTFT exceeds this (ms).'),
  knob('BENCH_SLO_TPOT_MS', undefined, num(0, undefined, true), 'output', 'Gate: fail the run when p95 TPOT exceeds this (ms).'),
  knob('BENCH_SLO_E2E_MS', undefined, num(0, undefined, true), 'output', 'Gate: fail the run when p95 end-to-end latency exceeds this (ms).'),
  knob(
    'BENCH_BASELINE',
    undefined,
    text(),
    'output',
    'Regression gate baseline: a baseline file (fuze-bench baseline save), a run folder, its summary.json, or a results folder (its newest runs per case).',
  ),
  knob(
    'BENCH_BASELINE_RUNS',
    '3',
    int(1, 50),
    'output',
    'Runs per case taken when BENCH_BASELINE is a results folder (their spread is the measured run-to-run noise).',
  ),
  knob('BENCH_JUNIT', undefined, text(), 'output', 'Write a JUnit XML report of the gate to this path.'),
  // Regression gate thresholds: one per gated metric of the registry, default and wording from its descriptor.
  ...GATE_METRICS.map((g) => knob(g.knob, String(g.defaultPct), pct(), 'output', g.description)),
  knob('BENCH_GATE_ERROR_RATE_MAX_PCT', '0', num(0, 100), 'output', 'Gate: fail a case whose failed-request share is above this %.'),
  knob(
    'BENCH_GATE_ALPHA',
    '0.05',
    num(0, 1, true, true),
    'output',
    "Gate: family-wise significance level of a run's regression tests, compared with Holm-adjusted p-values (α = 1 would call every change significant, 0 none).",
  ),
  knob(
    'BENCH_GATE_NOISE_FLOOR_MS',
    '1',
    num(0),
    'output',
    "Gate: a time metric changing less than this (ms, or the client's event-loop delay p99 if larger) never regresses.",
  ),
  knob(
    'BENCH_GATE_RUN_NOISE_PCT',
    '4',
    pct(),
    'output',
    'Gate: run-to-run noise (% per run, 1 sd; p99 ×4) assumed until baseline runs measure it; counts as 4 runs of evidence.',
  ),
  knob(
    'BENCH_GATE_INCONCLUSIVE',
    'warn',
    oneOf(['warn', 'fail']),
    'output',
    'Gate: what an INCONCLUSIVE verdict (the evidence cannot exclude a change past a threshold) does: warn (exit 0, a warning) or fail.',
  ),
  knob('BENCH_UPDATE_BASELINE', '0', bool(), 'output', 'Rewrite the baseline with this run (regressions are reported, not failed).'),
  knob('BENCH_ALLOW_CLIENT_BOUND', '0', bool(), 'output', 'Do not fail cases where the client, not the server, was the bottleneck.'),
  knob(
    'BENCH_METRICS_INTERVAL_MS',
    '500',
    int(50, 60000),
    'output',
    "Sampling interval of each case's telemetry: the server's Prometheus /metrics and nvidia-smi (ms).",
  ),
  knob(
    'BENCH_COST_PER_HOUR',
    undefined,
    num(0, undefined, true),
    'output',
    'Price of the GPU or instance per hour (any currency, shown as $): gives $ per 1M output tokens per case.',
  ),
  knob('BENCH_ENV_FILE', undefined, textList(), 'output', 'Env files to load (comma list); later files win. `@file.env` CLI arguments add to it.'),
  // GPUs
  knob('CUDA_VISIBLE_DEVICES', undefined, anyText(), 'gpu', 'GPUs to use: indexes, UUIDs or name substrings; A = first, B = second (empty: no GPU).', {
    emptyIsValue: true,
  }),
  knob('BENCH_GPU', undefined, text(), 'gpu', 'Like CUDA_VISIBLE_DEVICES, for fuze-bench only (wins over it).'),
  knob('MATCH_GPU_A', undefined, text(), 'gpu', 'Name substring choosing the A GPU (fallback: index order).'),
  knob('MATCH_GPU_B', undefined, text(), 'gpu', 'Name substring choosing the B GPU (fallback: index order).'),
  knob('OLLAMA_SCHED_SPREAD', '0', bool(), 'gpu', 'With several GPUs: one Ollama instance spread across them (suffix MULTI).'),
  // ports
  knob('PORT_A', '11435', int(1, 65535), 'ports', 'Port of test instance A.', { aliases: ['TEST_PORT_A'] }),
  knob('PORT_B', '11436', int(1, 65535), 'ports', 'Port of test instance B.', { aliases: ['TEST_PORT_B'] }),
  knob('PERSISTENT_PORT', '11434', int(1, 65535), 'ports', 'Port of the persistent Ollama daemon (model discovery).'),
  // models
  knob('INCLUDE_MODELS', undefined, regex(), 'models', 'Regex over model tags: only matching models are benched.'),
  knob('EXCLUDE_MODELS', undefined, regex(), 'models', 'Regex over model tags: matching models are skipped.'),
  knob('ALIAS_PREFIX', 'LLM-FuZe-', anyText(), 'models', 'Prefix of model aliases and baked variant names.', { emptyIsValue: true }),
  knob('ALIAS_SUFFIX', '', anyText(), 'models', 'Suffix of model aliases and baked variant names.', { emptyIsValue: true }),
  knob('BENCH_MODEL_PRESET', undefined, oneOf(['tiny', 'small'] as const), 'models', 'Generated GGUF used by the embedded llama.cpp default.'),
  // sweeps
  knob('FAST_MODE', '1', bool(), 'sweep', '1: pass options per request; 0: bake variants as tags.'),
  knob('AUTO_NG', '1', bool(), 'sweep', 'Derive num_gpu candidates from the model layer count and NG_PERCENT_SET.'),
  knob('NG_PERCENT_SET', '100 90 75 60 50 40 30 20 10', intList(1, 100), 'sweep', 'Percentages of layers tried with AUTO_NG=1.'),
  knob('NUM_GPU_CANDIDATES', '80 72 64 56 48 40 32 24 16', intList(0), 'sweep', 'num_gpu candidates with AUTO_NG=0 (Ollama).'),
  knob(
    'NGL_CANDIDATES',
    undefined,
    intList(-1),
    'sweep',
    "n-gpu-layers candidates (llama.cpp). Unset: NG_PERCENT_SET of the GGUF's block_count + 1 layers, then 0 (`-1 64 48 32 24 16 0` when the file has no block count).",
  ),
  knob('EXHAUSTIVE', '0', bool(), 'sweep', '0: stop at the first working candidate; 1: apply the stopping rules below.'),
  knob('ZERO_TOKPS_BREAK', '3', int(1), 'sweep', 'Stop after this many consecutive zero tok/s results.'),
  knob('NO_IMPROVE_LIMIT', '5', int(1), 'sweep', 'Stop after this many results that do not beat the best by EARLY_STOP_DELTA.'),
  knob('EARLY_STOP_DELTA', '0.03', num(0, 10), 'sweep', 'Relative improvement that counts as beating the best.'),
  knob('KEEP_FAILED_VARIANTS', '0', bool(), 'sweep', 'Keep baked variants that failed.'),
  knob('GC_AFTER_RUN', '1', bool(), 'sweep', 'Delete every variant created in the run without a tok/s > 0 row.'),
  knob('PUBLISH_BEST', '0', bool(), 'sweep', 'Re-bake the best variant, warm it up, bench it as published.'),
  // Ollama
  knob('OLLAMA_BIN', 'ollama', text(), 'ollama', 'Ollama binary (name on PATH or path).'),
  knob('OLLAMA_MODELS', undefined, text(), 'ollama', "Ollama model store (default: Ollama's own).", { aliases: ['OLLAMA_MODELS_DIR'] }),
  knob('OLLAMA_URL', undefined, url(), 'ollama', 'Bench an already-running Ollama at this URL (external mode).'),
  // llama.cpp
  knob('LLAMACPP_BIN', undefined, text(), 'llama.cpp', 'llama-server binary (default: llama-server on PATH, else the built-in build).'),
  knob('LLAMACPP_URL', undefined, url(), 'llama.cpp', 'Bench an already-running llama-server at this URL.'),
  knob('MODEL_DIR', undefined, text(), 'llama.cpp', 'Folder searched for GGUF files.'),
  knob('LLAMACPP_PATH_<alias>', undefined, text(), 'llama.cpp', 'GGUF file for one model alias (non-alphanumerics in the alias → _).', { perAlias: true }),
  knob('LLAMACPP_MODELS_ENV', undefined, text(), 'llama.cpp', 'models.env with LLAMACPP_PATH_<alias> lines (written by export-gguf).'),
  // vLLM
  knob('VLLM_BIN', 'vllm', text(), 'vllm', 'vLLM binary.'),
  knob('VLLM_URL', undefined, url(), 'vllm', 'Bench an already-running vLLM server at this URL.'),
  knob('VLLM_MODEL_<alias>', undefined, text(), 'vllm', 'Hugging Face id or path served for one model alias.', { perAlias: true }),
  knob('DTYPE', 'auto', oneOf(['auto', 'half', 'float16', 'bfloat16', 'float', 'float32'] as const), 'vllm', 'vLLM --dtype.'),
  knob('GPU_MEM_UTIL', '0.90', num(0, 1, true), 'vllm', 'vLLM --gpu-memory-utilization.'),
  // Triton
  knob('TRITON_BIN', 'tritonserver', text(), 'triton', 'Triton server binary.'),
  knob('TRITON_URL', undefined, url(), 'triton', 'Triton HTTP endpoint of slot A.', { aliases: ['TRITON_HTTP_A'] }),
  knob('TRITON_HTTP_B', undefined, url(), 'triton', 'Triton HTTP endpoint of slot B.'),
  knob('TRITON_MODELS', '', pairList(), 'triton', 'Models to bench: `name|alias` entries.', { emptyIsValue: true }),
  knob('TRITON_MODEL_REPO', undefined, text(), 'triton', 'Model repository tritonserver loads (--model-repository).'),
  // TGI, SGLang
  knob('TGI_BIN', 'text-generation-launcher', text(), 'tgi', 'TGI launcher binary.'),
  knob('TGI_URL', undefined, url(), 'tgi', 'Bench an already-running TGI server at this URL.'),
  knob('SGLANG_BIN', 'python3', text(), 'sglang', 'Python interpreter that runs `-m sglang.launch_server`.'),
  knob('SGLANG_URL', undefined, url(), 'sglang', 'Bench an already-running SGLang server at this URL.'),
  // any OpenAI-compatible endpoint (external only)
  knob('OPENAI_URL', undefined, url(), 'openai', 'Bench every model of this OpenAI-compatible endpoint (the `openai` stack; with or without /v1).'),
  knob('OPENAI_API_KEY', undefined, text(), 'openai', 'Sent as `Authorization: Bearer …` to OPENAI_URL; never written to a file or log.', { secret: true }),
]

export type TritonModel = { name: string; alias: string }

type Def = (typeof KNOB_DEFS)[number]
type Plain = Exclude<Def, { name: `${string}<alias>` }>
type ValueOf<D> = D extends KnobDef<string, infer T> ? T : never

/**
 * Typed knob values, derived from KNOB_DEFS: a knob with a default is always set, one without is optional.
 * Per-alias families (`LLAMACPP_PATH_<alias>`) are collected in `perAlias`.
 */
export type Knobs = { [D in Plain as D['default'] extends string ? D['name'] : never]: ValueOf<D> } & {
  [D in Plain as D['default'] extends string ? never : D['name']]?: ValueOf<D>
} & KnobExtras

interface KnobExtras {
  /** Per-alias knobs, keyed by the key's suffix as written (`LLAMACPP_PATH_gemma3_4b` → `gemma3_4b`). */
  perAlias: { LLAMACPP_PATH: Record<string, string>; VLLM_MODEL: Record<string, string> }
  /**
   * Entries of env files that are not knobs (e.g. OLLAMA_FLASH_ATTENTION, HF_TOKEN): the shell suite
   * exported them, so fixtures pass them on to the servers they spawn.
   */
  extraEnv: Record<string, string>
}

export function defOf(name: string): KnobDef | undefined {
  return KNOB_DEFS.find((d) => d.name === name || d.aliases?.includes(name))
}
