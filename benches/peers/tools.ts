// The peer tools as the peers benches run them: each one's command line for a scenario (fixed prompt and output
// lengths, ignore_eos, the same streams and request count), its raw output kept under peers/<tool>/<scenario>/, and
// its result file read back with reporters/peer-formats (the same parsers `fuze-bench compare` uses).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { cacheDir } from '../../fixtures/cache.ts'
import { findPeersPython, installedPeers, type PeerTool } from '../../fixtures/install/peers.ts'
import { readAiperfExport } from '../../reporters/peer-formats/aiperf.ts'
import { readGuidellmBenchmarks } from '../../reporters/peer-formats/guidellm.ts'
import { readInferencePerfLifecycle } from '../../reporters/peer-formats/inference-perf.ts'
import { readVllmBenchJson } from '../../reporters/peer-formats/vllm-bench.ts'
import { runMeasured, type Scenario, type ToolRun } from './kit.ts'

/** The model name every simulator run lists (the tools get the tokenizer folder explicitly). */
export const SIM_MODEL = 'sim-model'

export interface PeerRunner {
  tool: string
  version: string
  run(s: Scenario, url: string, outDir: string, model?: string): Promise<ToolRun>
}

export interface PeerContext {
  /** the interpreter rusage.py runs under */
  python: string
  tokenizer: string | undefined
  runners: Map<string, PeerRunner>
  notes: string[]
}

/** A comma list from the environment (PEERS_SCENARIOS, PEERS_TOOLS), checked against what exists; all when unset. */
export function picked(name: string, all: readonly string[]): string[] {
  const raw = process.env[name]?.trim()
  if (!raw) return [...all]
  const want = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const bad = want.filter((w) => !all.includes(w))
  if (bad.length) throw new Error(`${name}=${raw}: unknown ${bad.join(', ')}; choose from ${all.join(', ')} (comma-separated), or unset it for all.`)
  return want
}

/** How long a tool may take on one scenario before it is killed (ms). */
const TOOL_TIMEOUT_MS = 600_000

/** Workers a Python tool may spread over: this machine's cores (each tool's documented way to keep up). */
const CORES = availableParallelism()

export async function peerRunners(): Promise<PeerContext> {
  const notes: string[] = []
  const runners = new Map<string, PeerRunner>()
  const peers = await installedPeers()
  let python: string
  if (peers) python = peers.python
  else {
    python = (await findPeersPython().catch(() => ({ path: 'python3' }))).path
    notes.push('the peer tools are not installed (npx fuze-bench setup --peers): only fuze-bench runs')
  }
  const tokenizer = peers?.tokenizer
  for (const t of peers?.tools ?? []) {
    const make = MAKERS[t.tool]
    runners.set(t.tool, {
      tool: t.tool,
      version: t.version,
      run: (s, url, outDir, model) => make(python, t.bin, t.version, tokenizer!, s, url, outDir, model ?? SIM_MODEL),
    })
  }
  const vllm = vllmBin()
  if (vllm && tokenizer) {
    runners.set('vllm-bench', {
      tool: 'vllm-bench',
      version: vllm.version,
      run: (s, url, outDir, model) => runVllmBench(python, vllm.bin, vllm.version, tokenizer, s, url, outDir, model ?? SIM_MODEL),
    })
  } else notes.push('vllm is not installed (npx fuze-bench setup --stack vllm): no vllm bench serve rows')
  return { python, tokenizer, runners, notes }
}

type Maker = (python: string, bin: string, version: string, tokenizer: string, s: Scenario, url: string, outDir: string, model: string) => Promise<ToolRun>

const MAKERS: Record<PeerTool, Maker> = {
  aiperf: runAiperf,
  guidellm: runGuidellm,
  'inference-perf': runInferencePerf,
}

/** `vllm` of the vLLM install (fixtures/install/vllm.ts, its venv under <cache>/vllm/) when there is one, else VLLM_BIN. */
function vllmBin(): { bin: string; version: string } | undefined {
  const root = join(cacheDir(), 'vllm')
  const candidates = existsSync(root) ? readdirSync(root).map((key) => join(root, key, 'venv')) : []
  for (const venv of candidates) {
    const bin = join(venv, 'bin', 'vllm')
    if (existsSync(bin)) return { bin, version: distVersion(venv, 'vllm') ?? 'unknown' }
  }
  const own = process.env.VLLM_BIN
  return own && existsSync(own) ? { bin: own, version: 'VLLM_BIN' } : undefined
}

/** The installed version of `pkg` in a venv, from its `<pkg>-<version>.dist-info` folder. */
function distVersion(venv: string, pkg: string): string | undefined {
  const lib = join(venv, 'lib')
  for (const py of existsSync(lib) ? readdirSync(lib) : []) {
    const site = join(lib, py, 'site-packages')
    const hit = existsSync(site) ? readdirSync(site).find((f) => f.startsWith(`${pkg}-`) && f.endsWith('.dist-info')) : undefined
    if (hit) return hit.slice(pkg.length + 1, -'.dist-info'.length)
  }
  return undefined
}

/**
 * AIPerf: `aiperf profile` against /v1/completions with synthetic prompts of fixed length, fixed output length and
 * ignore_eos sent as an extra input. Its documented way to keep up is worker processes (--workers-max; its default,
 * min(concurrency, 0.75 × CPUs − 1), is one worker on 2 cores): one per core here.
 */
async function runAiperf(
  python: string,
  bin: string,
  version: string,
  tokenizer: string,
  s: Scenario,
  url: string,
  outDir: string,
  model: string,
): Promise<ToolRun> {
  const workers = Math.min(CORES, s.streams)
  const artifacts = join(outDir, 'artifacts')
  // a hub-less tokenizer folder: AIPerf would probe the hub for a model name without one
  const args = [
    'profile',
    '--model',
    model,
    '--url',
    url,
    '--endpoint-type',
    'completions',
    '--streaming',
    '--tokenizer',
    tokenizer,
    '--request-count',
    String(s.requests),
    '--concurrency',
    String(s.streams),
    '--synthetic-input-tokens-mean',
    String(s.inputTokens),
    '--synthetic-input-tokens-stddev',
    '0',
    '--output-tokens-mean',
    String(s.outputTokens),
    '--output-tokens-stddev',
    '0',
    '--extra-inputs',
    'ignore_eos:true',
    // the server's usage counts, as every tool here is set to: a tokenizer that is not the model's cannot skew them
    '--use-server-token-count',
    '--artifact-dir',
    artifacts,
    '--export-level',
    'records',
    '--ui-type',
    'none',
    '--workers-max',
    String(workers),
  ]
  // AIPerf 0.13 in offline mode looks the tokenizer up in the HF cache only; online, an absolute path is loaded as a
  // local folder without any hub call (common/tokenizer.py resolve_alias)
  const env = { HF_HUB_OFFLINE: undefined, TRANSFORMERS_OFFLINE: undefined }
  const cost = await runMeasured(python, 'aiperf', bin, args, { outDir, env, timeoutMs: TOOL_TIMEOUT_MS })
  const result = readAiperfExport(join(artifacts, 'profile_export.jsonl'))
  return { tool: 'aiperf', version, result, ...cost, settings: `--workers-max ${workers}` }
}

/**
 * GuideLLM: `guidellm run`, concurrent profile at the scenario's streams, synthetic text of fixed lengths (it then
 * sends max_tokens with ignore_eos and stop: null), a max_requests constraint, JSON output. Its worker processes
 * are its default (settings.max_worker_processes 10, capped by the streams): what a user gets.
 */
async function runGuidellm(
  python: string,
  bin: string,
  version: string,
  tokenizer: string,
  s: Scenario,
  url: string,
  outDir: string,
  model: string,
): Promise<ToolRun> {
  const out = join(outDir, 'benchmarks.json')
  const args = [
    'run',
    '--backend',
    `kind=openai_http,target=${url},model=${model},request_format=/v1/completions`,
    '--profile',
    `kind=concurrent,streams=${s.streams}`,
    '--constraint',
    `kind=max_requests,count=${s.requests}`,
    '--data',
    `kind=synthetic_text,prompt_tokens=${s.inputTokens},output_tokens=${s.outputTokens}`,
    '--tokenizer',
    `kind=huggingface_auto,model=${tokenizer}`,
    '--output',
    `kind=json,path=${out}`,
    '--disable-console-interactive',
  ]
  const cost = await runMeasured(python, 'guidellm', bin, args, { outDir, timeoutMs: TOOL_TIMEOUT_MS })
  const result = readGuidellmBenchmarks(out)
  const workers = (JSON.parse(readFileSync(out, 'utf8')) as { benchmarks: { config?: { strategy?: { worker_count?: number } } }[] }).benchmarks[0]?.config
    ?.strategy?.worker_count
  return { tool: 'guidellm', version, result, ...cost, settings: `${workers ?? '?'} worker processes (its default)` }
}

/**
 * inference-perf: a YAML config (concurrent load, random data of fixed lengths, ignore_eos, streaming completions,
 * per-request lifecycle report). Its documented way to keep up is worker processes: one per core (its default), each
 * allowed its share of the streams.
 */
async function runInferencePerf(
  python: string,
  bin: string,
  version: string,
  tokenizer: string,
  s: Scenario,
  url: string,
  outDir: string,
  model: string,
): Promise<ToolRun> {
  const fixed = (n: number) => ({ min: n, max: n, mean: n, std_dev: 0, type: 'fixed' })
  const workers = Math.min(CORES, s.streams)
  const reports = join(outDir, 'reports')
  const config = {
    api: { type: 'completion', streaming: true },
    server: { type: 'vllm', model_name: model, base_url: url, ignore_eos: true },
    data: { type: 'random', input_distribution: fixed(s.inputTokens), output_distribution: fixed(s.outputTokens) },
    load: {
      type: 'concurrent',
      stages: [{ num_requests: s.requests, concurrency_level: s.streams }],
      num_workers: workers,
      worker_max_concurrency: Math.ceil(s.streams / workers),
    },
    tokenizer: { pretrained_model_name_or_path: tokenizer },
    report: {
      request_lifecycle: {
        summary: true,
        per_stage: false,
        use_server_output_tokens: true,
        per_request: true,
        // raw per-request times only: computed_metrics re-tokenizes every response (minutes of CPU for 1M tokens),
        // and TTFT / ITL follow from output_token_times alone
        per_request_fields: { request: false, response: false, response_chunks: false, computed_metrics: false },
      },
    },
    storage: { local_storage: { path: reports } },
  }
  mkdirSync(outDir, { recursive: true })
  // JSON is YAML: no YAML writer needed
  const cfg = join(outDir, 'config.yml')
  writeFileSync(cfg, `${JSON.stringify(config, null, 2)}\n`)
  const cost = await runMeasured(python, 'inference-perf', bin, ['-c', cfg], { outDir, timeoutMs: TOOL_TIMEOUT_MS })
  const result = readInferencePerfLifecycle(join(reports, 'per_request_lifecycle_metrics.json'))
  return { tool: 'inference-perf', version, result, ...cost, settings: `${workers} worker processes × ${config.load.worker_max_concurrency} in flight` }
}

/** `vllm bench serve` of the vLLM install: random prompts of fixed lengths, --ignore-eos, per-request arrays saved. One process. */
async function runVllmBench(
  python: string,
  bin: string,
  version: string,
  tokenizer: string,
  s: Scenario,
  url: string,
  outDir: string,
  model: string,
): Promise<ToolRun> {
  const results = join(outDir, 'results')
  const args = [
    'bench',
    'serve',
    '--backend',
    'openai',
    '--base-url',
    url,
    '--endpoint',
    '/v1/completions',
    '--model',
    model,
    '--tokenizer',
    tokenizer,
    '--dataset-name',
    'random',
    '--random-input-len',
    String(s.inputTokens),
    '--random-output-len',
    String(s.outputTokens),
    '--num-prompts',
    String(s.requests),
    '--max-concurrency',
    String(s.streams),
    '--ignore-eos',
    '--save-result',
    '--save-detailed',
    '--result-dir',
    results,
    '--result-filename',
    'vllm-bench.json',
  ]
  const cost = await runMeasured(python, 'vllm bench serve', bin, args, { outDir, timeoutMs: TOOL_TIMEOUT_MS })
  return { tool: 'vllm-bench', version, result: readVllmBenchJson(join(results, 'vllm-bench.json')), ...cost, settings: '1 process (asyncio)' }
}
