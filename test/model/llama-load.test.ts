// The real check for the generated models: a llama-server loads each preset and decodes exactly
// the requested tokens, with the llama-server fuze-bench resolves (LLAMACPP_BIN, PATH, or the cached build that
// `npm test` provisions first with `fuze-bench setup`).
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { execa, type ResultPromise } from 'execa'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { ensureModel, MODEL_PRESETS, type ModelPreset } from '../../fixtures/model/ensure-model.ts'
import { ensureLlamaServer } from '../../fixtures/provision.ts'

// resolved before this file swaps FUZE_CACHE_DIR for a throwaway model cache
const bin: string = (await ensureLlamaServer(() => undefined)).path

const LOAD_TIMEOUT_MS = 90_000
let server: ResultPromise | undefined
let output = ''

async function stopServer(): Promise<void> {
  if (!server) return
  const s = server
  server = undefined
  s.kill('SIGTERM')
  await s
}
// models are generated into a throwaway cache, like every other test here (made only when not skipped)
let dir: string | undefined
const savedCache = process.env.FUZE_CACHE_DIR
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fuze-llama-load-'))
  process.env.FUZE_CACHE_DIR = dir
})
afterEach(stopServer)
afterAll(async () => {
  await stopServer()
  if (savedCache === undefined) delete process.env.FUZE_CACHE_DIR
  else process.env.FUZE_CACHE_DIR = savedCache
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const addr = probe.address()
      probe.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))))
    })
  })
}

/** Poll /health until 200; fail at once (with the server's output) if the process ends first. */
async function waitReady(base: string, s: ResultPromise): Promise<void> {
  let exited = false
  void s.then(() => (exited = true))
  const deadline = Date.now() + LOAD_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (exited) throw new Error(`llama-server exited before becoming ready:\n${output.slice(-4000)}`)
    const ok = await fetch(`${base}/health`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return
    await delay(100)
  }
  throw new Error(`llama-server was not ready within ${LOAD_TIMEOUT_MS / 1000} s:\n${output.slice(-4000)}`)
}

interface Completion {
  usage?: { completion_tokens?: number; prompt_tokens?: number }
  timings?: { predicted_per_second?: number; predicted_n?: number }
}

describe(`generated models load in ${bin}`, () => {
  test.each(MODEL_PRESETS.map((p) => [p]))(
    '%s: 64 tokens decoded with ignore_eos',
    async (preset: ModelPreset) => {
      const model = await ensureModel(preset)
      const port = await freePort()
      output = ''
      server = execa(bin, ['-m', model, '--host', '127.0.0.1', '--port', String(port), '-c', '2048'], { all: true, reject: false, buffer: false })
      server.all?.on('data', (d: Buffer) => void (output += d.toString()))
      const base = `http://127.0.0.1:${port}`
      await waitReady(base, server)

      const res = await fetch(`${base}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'Hello', max_tokens: 64, ignore_eos: true, stream: false }),
        signal: AbortSignal.timeout(120_000), // generous: default threads crawl on a CPU shared with other jobs
      })
      expect(res.status).toBe(200)
      const body = (await res.json()) as Completion
      expect(body.usage?.completion_tokens).toBe(64)
      expect(body.timings?.predicted_per_second).toBeGreaterThan(0)
      console.log(`${preset}: ${body.timings?.predicted_per_second?.toFixed(0)} tok/s decode (${model})`)
    },
    180_000,
  )
})
