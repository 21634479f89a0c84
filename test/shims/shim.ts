// What every stack shim runs: record argv + the environment that matters to $FUZE_SHIM_LOG (one JSON line),
// then become the simulator, in this stack's protocol, on the port the launch command named. When stopped
// (SIGTERM/SIGINT, as the fixture stops servers) it logs the model-management calls it served (create/delete/pull).
// Test knobs: FUZE_SHIM_MODELS (comma list the server "has"), FUZE_SHIM_SIM_ARGS (extra sim flags, space-separated).
import { appendFileSync } from 'node:fs'
import { parseSimArgs, READY_PREFIX, startSim } from '../../sim/index.ts'

const [stack, ...argv] = process.argv.slice(2)
const ENV_KEYS = ['CUDA_VISIBLE_DEVICES', 'OLLAMA_HOST', 'OLLAMA_MODELS', 'OLLAMA_SCHED_SPREAD']

function flag(name: string): string | undefined {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : undefined
}

function fail(msg: string): never {
  process.stderr.write(`${stack} shim: ${msg}\n`)
  process.exit(2)
}

/** protocol, port, models for the simulator, from the stack's own command line. */
function plan(): { protocol: string; port: string; models: string[] } | 'exit0' {
  const shimModels = process.env.FUZE_SHIM_MODELS?.split(',').filter(Boolean)
  switch (stack) {
    case 'ollama': {
      if (argv[0] !== 'serve') fail(`only \`ollama serve\` is simulated (got: ${argv.join(' ')})`)
      const host = process.env.OLLAMA_HOST ?? '127.0.0.1:11434'
      return { protocol: 'ollama', port: host.split(':').at(-1)!, models: shimModels ?? ['sim-model'] }
    }
    case 'vllm':
      if (argv[0] !== 'serve' || !argv[1]) fail('expected `vllm serve <model> …`')
      // served under --served-model-name when given, else under the model path (as vLLM does)
      return { protocol: 'openai', port: flag('--port') ?? '8000', models: [flag('--served-model-name') ?? argv[1]] }
    case 'python3':
      // the availability check (`-c "…find_spec('sglang')…"`) succeeds: this python "has" sglang
      if (argv[0] === '-c') return 'exit0'
      if (argv[0] !== '-m' || argv[1] !== 'sglang.launch_server') fail(`only \`-m sglang.launch_server\` is simulated (got: ${argv.join(' ')})`)
      return { protocol: 'openai', port: flag('--port') ?? '30000', models: [flag('--model-path') ?? 'sim-model'] }
    case 'text-generation-launcher':
      return { protocol: 'tgi', port: flag('--port') ?? '3000', models: [flag('--model-id') ?? 'sim-model'] }
    case 'tritonserver':
      return { protocol: 'triton', port: flag('--http-port') ?? '8000', models: shimModels ?? ['sim-model'] }
    default:
      fail(`unknown shim '${stack}'`)
  }
}

function log(entry: Record<string, unknown>): void {
  if (process.env.FUZE_SHIM_LOG) appendFileSync(process.env.FUZE_SHIM_LOG, `${JSON.stringify({ stack, pid: process.pid, ...entry })}\n`)
}

const env: Record<string, string> = {}
for (const k of ENV_KEYS) if (process.env[k] !== undefined) env[k] = process.env[k]!
log({ argv, env })

const p = plan()
if (p === 'exit0') process.exit(0)
const extra = process.env.FUZE_SHIM_SIM_ARGS?.split(/\s+/).filter(Boolean) ?? []
const sim = await startSim(parseSimArgs(['--protocol', p.protocol, '--host', '127.0.0.1', '--port', p.port, '--models', p.models.join(','), ...extra]))
process.stdout.write(`${READY_PREFIX}${sim.url}\n`)
const stop = async () => {
  const calls = sim.requests().filter((r) => /^\/api\/(create|delete|pull)$/.test(r.path))
  const generateOptions = sim
    .requests()
    .filter((r) => /^\/api\/(generate|chat)$/.test(r.path))
    .map((r) => ((r.body as { options?: unknown } | null)?.options ?? {}) as Record<string, unknown>)
  log({ exit: true, calls: calls.map((r) => ({ path: r.path, body: r.body })), generateOptions })
  await sim.close()
  process.exit(0)
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
