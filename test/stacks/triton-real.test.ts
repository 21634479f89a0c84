// The Triton stack against the real server: the tritonserver 2.51 that `fuze-bench setup --stack triton` installs
// into the cache (PyPI nvidia-pytriton, CPU), serving the generated tiny-random Llama through a decoupled
// Python-backend model. Skipped with one line when it is not installed, so `npm test` on a fresh machine passes as
// before. What a user would see: the real server started and stopped with its Python backend stub, its own log in
// the run folder, CSV rows with tok/s, exact token counts from the model, Triton's metrics sampled.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { installedTriton, TRITONSERVER_VERSION } from '../../fixtures/install/triton.ts'
import { installedVllm } from '../../fixtures/install/vllm.ts'
import { freePort } from '../../fixtures/ports.ts'
import { onlyRunDir, startBench } from '../support/run-bench.ts'
import { csvRows, expectFlowPassed } from './support.ts'

const t = installedTriton()
const title = t
  ? `real Triton ${TRITONSERVER_VERSION} (${t.bin})`
  : `real Triton ${TRITONSERVER_VERSION}: skipped, not installed here (run \`npx fuze-bench setup --stack triton\`)`

/** Few, short requests: the flow and the real shapes are under test, not the numbers of a loaded 2-core machine. */
const QUICK = { BENCH_ALLOW_CLIENT_BOUND: '1', BENCH_WARMUP: '0', BENCH_REQUESTS: '2', BENCH_NUM_PREDICT: '8' }

/**
 * The numpy Llama against transformers' LlamaForCausalLM (run with the vLLM install's torch): the same prompt ids,
 * the last position's logits, 32 greedy tokens. Prints one JSON line.
 */
const AGAINST_TRANSFORMERS = `
import json, sys
import numpy as np, torch
sys.path.insert(0, sys.argv[1])
from triton_llama import Llama, Tokenizer, eos_ids
from transformers import AutoModelForCausalLM, AutoTokenizer
d = sys.argv[2]
m, tok = Llama(d), Tokenizer(d)
hf = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
text = "Tell me a story about the fast server and the slow request"
ids = tok.encode(text)
with torch.no_grad():
    ref = hf(torch.tensor([ids])).logits[0, -1].numpy()
    greedy_hf = hf.generate(torch.tensor([ids]), max_new_tokens=32, min_new_tokens=32, do_sample=False)[0][len(ids):].tolist()
cache = m.new_cache(len(ids) + 40)
logits = m.forward([(ids, cache)])
diff = float(np.abs(logits[0] - ref).max())
greedy = []
for _ in range(32):
    logits[0][list(eos_ids(d, m.cfg))] = -np.inf  # as min_new_tokens does
    t = int(np.argmax(logits[0])); greedy.append(t); logits = m.forward([([t], cache)])
print(json.dumps({"ids": ids == AutoTokenizer.from_pretrained(d)(text)["input_ids"], "diff": diff, "same": greedy == greedy_hf}))
`

/** Processes running a file under `dir` (the server, or the Python backend stub it forks). */
function processesUnder(dir: string): string[] {
  const out: string[] = []
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
      if (argv[0].startsWith(dir)) out.push(`${pid} ${argv.join(' ').trim()}`)
    } catch {
      // gone meanwhile
    }
  }
  return out
}

describe.skipIf(!t)(title, () => {
  it('tiny-random spec: the real server streams decode and prefill with exact token counts, its log lands in logs/, its metrics are sampled, nothing is left running', async () => {
    const run = startBench(['--project', 'triton', 'tiny-random'], { ...QUICK, PORT_A: String(await freePort()) })
    const r = await run.child
    expectFlowPassed(r)
    const dir = onlyRunDir(run.resultsDir)
    const rows = csvRows(dir)
    const seen = `${rows.map((x) => `${x.base_model} ${x.model_tag} ${x.num_predict} ${x.tokens_per_sec}`).join('\n')}\n${r.all}`
    expect(
      rows.map((x) => `${x.base_model} ${x.model_tag} ${x.num_predict}`),
      seen,
    ).toEqual(['tiny-random tiny-random 8', 'tiny-random tiny-random 16'])
    for (const row of rows) {
      expect(row, seen).toMatchObject({ unit: 'proc', gpu_label: 'cpu' })
      expect(Number(row.tokens_per_sec), seen).toBeGreaterThan(0)
    }
    // every request got exactly the tokens it asked for (ignore_eos), counted by the model (num_output_tokens), and
    // the model's prompt length (num_input_tokens)
    const records = readFileSync(join(dir, 'requests.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { caseName: string; outcome: string; outputTokens: number; promptTokensServer?: number })
    expect(records.map((x) => `${x.caseName} ${x.outcome} ${x.outputTokens}`)).toEqual([
      'decode short prompt ok 8',
      'decode short prompt ok 8',
      'prefill long prompt ok 16',
      'prefill long prompt ok 16',
    ])
    for (const x of records) expect(x.promptTokensServer).toBeGreaterThan(x.caseName.startsWith('prefill') ? 1000 : 5)
    // Triton's own metrics, from its metrics port, beside each case
    const telemetry = readdirSync(join(dir, 'telemetry'))
    expect(telemetry).toHaveLength(2)
    for (const c of telemetry) {
      const samples = readFileSync(join(dir, 'telemetry', c, 'server-metrics.jsonl'), 'utf8')
      expect(samples).toContain('"nv_inference_pending_request_count{model=\\"tiny-random\\",version=\\"1\\"}":')
      expect(samples).toContain('"nv_inference_request_success{model=\\"tiny-random\\",version=\\"1\\"}":')
    }
    // the server's own log: tritonserver's banner, the Python backend stub loading the model on this CPU
    const logs = readdirSync(join(dir, 'logs')).filter((f) => f.startsWith('triton-'))
    expect(logs, readdirSync(join(dir, 'logs')).join(' ')).toHaveLength(1)
    const log = readFileSync(join(dir, 'logs', logs[0]), 'utf8')
    expect(log).toContain(`server_version                   | ${TRITONSERVER_VERSION}`)
    expect(log).toMatch(/fuze-bench llama: .*tiny-random.*: 2 layers, hidden 256, vocab 1024/)
    expect(log).toMatch(/Started HTTPService at 127\.0\.0\.1:\d+/)
    expect(log).toMatch(/Started GRPCInferenceService at 127\.0\.0\.1:\d+/)
    // the server and its stub are gone
    expect(processesUnder(join(t!.backendDir, '..'))).toEqual([])
  }, 600_000)

  const vllm = installedVllm()
  it.skipIf(!vllm)(
    `the numpy decode is the model: the same tokens, logits and greedy tokens as transformers${vllm ? '' : ' (skipped: needs the vLLM install for torch)'}`,
    async () => {
      const code = fileURLToPath(new URL('../../fixtures/install/', import.meta.url))
      const r = await execa(join(vllm!.venv, 'bin', 'python'), ['-c', AGAINST_TRANSFORMERS, code, vllm!.model.dir], {
        reject: false,
        all: true,
        timeout: 300_000,
      })
      expect(r.exitCode, r.all).toBe(0)
      const out = JSON.parse(String(r.stdout).trim().split('\n').at(-1)!) as { ids: boolean; diff: number; same: boolean }
      expect(out.ids, r.all).toBe(true)
      expect(out.diff, r.all).toBeLessThan(1e-4)
      expect(out.same, r.all).toBe(true)
    },
    300_000,
  )
})
