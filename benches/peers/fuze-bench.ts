// fuze-bench as a peer: the command a user runs (`npx vitest bench --project <stack>` against the server's URL), as
// a child process with its own results folder under peers/fuze-bench/<scenario>/, read back from its requests.jsonl
// and summary.json.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { PeerRequest, PeerResult } from '../../reporters/peer-formats/types.ts'
import { childRunDirs, promptOf, ROOT, runMeasured, type Scenario, type ToolRun } from './kit.ts'

/** Which project and spec reads a server: the vLLM project (OpenAI /v1/completions with ignore_eos) for the simulator; llama.cpp's for llama-server. */
export interface FuzeTarget {
  project: 'vllm' | 'llama.cpp'
  urlKnob: 'VLLM_URL' | 'LLAMACPP_URL'
}

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version

/** The environment a user's shell would have: none of this vitest worker's own variables, nor this run's folder. */
export function userEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(VITEST|FUZE_RUN_|BENCH_|NODE_OPTIONS$|TINYPOOL|__VITEST)/.test(k)) env[k] = v
  return { ...env, ...extra }
}

export async function runFuzeBench(python: string, s: Scenario, url: string, outDir: string, target: FuzeTarget): Promise<ToolRun> {
  const results = join(outDir, 'results')
  const env = userEnv({
    [target.urlKnob]: url,
    BENCH_CONCURRENCY: String(s.streams),
    BENCH_REQUESTS: String(s.requests),
    BENCH_NUM_PREDICT: String(s.outputTokens),
    BENCH_WARMUP: '0',
    BENCH_PROMPT: promptOf(s.inputTokens),
    LOG_DIR: results,
    // a client-bound verdict fails the gate (exit 1); the numbers are what is compared here
    BENCH_ALLOW_CLIENT_BOUND: '1',
    // the timing scenario: the simulator on localhost computes nothing, but on a machine without a GPU BENCH_BUSY_POLL's
    // auto cannot tell it from a CPU engine and would let the loop sleep; a GPU box's localhost server gets this by default
    ...(s.truth ? { BENCH_BUSY_POLL: '1' } : {}),
  })
  const spec = `benches/${target.project}/each-model.bench.ts`
  const args = ['vitest', 'bench', '--project', target.project, spec, '-t', 'decode short prompt']
  const cost = await runMeasured(python, 'fuze-bench', 'npx', args, { outDir, env, timeoutMs: 600_000, cwd: ROOT, extendEnv: false })
  const dir = childRunDirs(results).at(-1)
  if (!dir) throw new Error(`fuze-bench: the run wrote no results folder under ${results}; see ${join(outDir, 'console.log')}`)
  return {
    tool: 'fuze-bench',
    version: VERSION,
    result: readFuzeRun(dir),
    ...cost,
    settings: `1 process (BENCH_CLIENT_PROCS=1)${s.truth ? ', loop kept turning (BENCH_BUSY_POLL=1)' : ''}`,
  }
}

/** A fuze-bench run folder's measured requests (requests.jsonl) and its output tok/s (summary.json). */
export function readFuzeRun(dir: string): PeerResult {
  const requests: PeerRequest[] = []
  for (const line of readFileSync(join(dir, 'requests.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue
    const r = JSON.parse(line) as {
      phase: string
      outcome: string
      error?: string
      startedAt: string
      ttftMs: number | null
      e2eMs: number | null
      itlMs: number[]
      outputTokens: number
      promptTokensServer: number | null
    }
    if (r.phase !== 'run') continue
    requests.push({
      ok: r.outcome === 'ok',
      ...(r.error ? { error: r.error } : {}),
      startMs: Date.parse(r.startedAt),
      ttftMs: r.ttftMs,
      e2eMs: r.e2eMs,
      itlMs: r.itlMs,
      outputTokens: r.outputTokens,
      promptTokens: r.promptTokensServer,
    })
  }
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { cases: { summary: { outputTokenThroughput?: number | null } }[] }
  const tput = summary.cases[0]?.summary.outputTokenThroughput
  return {
    tool: 'fuze-bench',
    version: VERSION,
    source: dir,
    requests,
    reported: tput ? { outputTokPerSec: tput } : {},
    missing: [],
  }
}
