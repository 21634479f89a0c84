import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, tempDir } from './cli-helpers.ts'

function shim(dir: string, name: string, script: string) {
  writeFileSync(join(dir, name), `#!/bin/sh\n${script}\n`)
  chmodSync(join(dir, name), 0o755)
}

async function listen(): Promise<Server> {
  const s = createServer()
  await new Promise<void>((done) => s.listen(0, '127.0.0.1', done))
  return s
}
const portOf = (s: Server) => (s.address() as { port: number }).port

describe('fuze-bench preflight', () => {
  const bin = tempDir('shims')
  const logDir = join(tempDir('pf'), 'results')
  let taken: Server
  let free: number
  beforeAll(async () => {
    shim(bin, 'nvidia-smi', 'echo "0, NVIDIA GeForce RTX 3090 Ti, GPU-1111, 24576, 550.54"\necho "1, NVIDIA RTX A6000, GPU-2222, 49140, 550.54"')
    shim(bin, 'nvcc', 'echo "Cuda compilation tools, release 12.4, V12.4.131"')
    shim(bin, 'ollama', 'exit 0')
    taken = await listen()
    const f = await listen()
    free = portOf(f)
    await new Promise((done) => f.close(done))
  })
  afterAll(() => new Promise((done) => taken.close(done)))

  const env = () => ({ PATH: `${bin}:${process.env.PATH}`, LOG_DIR: logDir, PORT_B: String(free), PERSISTENT_PORT: String(portOf(taken)) })

  it('prints GPUs, CUDA, binaries, ports and folders; errors fail only with --strict', async () => {
    const e = { ...env(), PORT_A: String(portOf(taken)), VLLM_BIN: '/nonexistent/vllm', MODEL_DIR: join(logDir, 'no-such-dir') }
    const r = await cli(['preflight'], { env: e })
    expect(r.code).toBe(0)
    const row = (check: string) =>
      r.stdout
        .split('\n')
        .find((l) => l.startsWith(`${check} `))
        ?.replace(/\s{2,}/g, ' | ')
    expect(row('GPU 0')).toBe('GPU 0 | ok | NVIDIA GeForce RTX 3090 Ti, 24576 MiB, GPU-1111, driver 550.54')
    expect(row('GPU 1')).toBe('GPU 1 | ok | NVIDIA RTX A6000, 49140 MiB, GPU-2222, driver 550.54')
    expect(row('CUDA (nvcc)')).toBe('CUDA (nvcc) | ok | release 12.4, V12.4.131')
    expect(row('ollama binary')).toBe(`ollama binary | ok | ${join(bin, 'ollama')}`)
    expect(row('vllm binary')).toBe("vllm binary | error | '/nonexistent/vllm' not found; set VLLM_BIN to the binary or VLLM_URL to a running server")
    expect(row('port PORT_A')).toBe(`port PORT_A | error | ${portOf(taken)} taken; stop what listens there or set PORT_A`)
    expect(row('port PORT_B')).toBe(`port PORT_B | ok | ${free} free`)
    expect(row('port PERSISTENT_PORT')).toBe(`port PERSISTENT_PORT | ok | ${portOf(taken)} taken (the persistent Ollama daemon, if it is one)`)
    expect(row('GGUF folder')).toBe(`GGUF folder | error | ${join(logDir, 'no-such-dir')} does not exist; fix MODEL_DIR`)
    expect(row('results')).toBe(`results | ok | ${logDir} writable`)
    expect(r.stdout).toMatch(/\n3 error\(s\), \d+ warning\(s\) \(exit 0; --strict makes errors fail\)$/)
    expect((await cli(['preflight', '--strict'], { env: e })).code).toBe(1)
  })

  it('passes --strict on a sound setup and reports invalid knobs as errors', async () => {
    mkdirSync(logDir, { recursive: true })
    const ok = await cli(['preflight', '--strict'], { env: { ...env(), PORT_A: String(free) } })
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/\n0 error\(s\)/)
    const bad = await cli(['preflight', '--strict'], { env: { ...env(), BENCH_NUM_PREDICT: 'abc' } })
    expect(bad.code).toBe(1)
    expect(bad.stdout).toMatch(/knob BENCH_NUM_PREDICT\s+error\s+"abc" from environment: expected a whole number ≥ 1/)
  })
})
