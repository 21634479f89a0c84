// Runs the real CLI (node cli/bin.mjs) as a child process with a clean, knob-free environment,
// and a tiny node:http Ollama that serves /api/tags and records /api/delete calls.
import { createServer, type Server } from 'node:http'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { KNOB_DEFS } from '../../env/index.ts'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = join(ROOT, 'cli', 'bin.mjs')

/** process.env without any knob, so the developer's own settings cannot change test results. */
function cleanEnv(): Record<string, string> {
  const knobNames = new Set(KNOB_DEFS.flatMap((d) => [d.name, ...(d.aliases ?? [])]))
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || knobNames.has(k) || /^(LLAMACPP_PATH_|VLLM_MODEL_|FUZE_|BENCH_)/.test(k)) continue
    out[k] = v
  }
  return out
}

export async function cli(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}) {
  const r = await execa(process.execPath, [BIN, ...args], {
    env: { ...cleanEnv(), ...opts.env },
    extendEnv: false,
    cwd: opts.cwd ?? ROOT,
    reject: false,
    timeout: 60_000,
  })
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `fuze-${prefix}-`))
}

export interface FakeOllama {
  url: string
  models: string[]
  deleted: string[]
  failDelete: Set<string>
  close(): Promise<void>
}

export async function fakeOllama(models: string[]): Promise<FakeOllama> {
  const state = { models: [...models], deleted: [] as string[], failDelete: new Set<string>() }
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/api/tags') {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ models: state.models.map((name) => ({ name, model: name, size: 1000, digest: 'sha256:00' })) }))
        return
      }
      if (req.method === 'DELETE' && req.url === '/api/delete') {
        const name = (JSON.parse(body) as { model: string }).model
        if (state.failDelete.has(name) || !state.models.includes(name)) {
          res.writeHead(state.failDelete.has(name) ? 500 : 404, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ error: `cannot delete ${name}` }))
          return
        }
        state.models = state.models.filter((m) => m !== name)
        state.deleted.push(name)
        res.writeHead(200).end()
        return
      }
      res.writeHead(404).end()
    })
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}`,
    get models() {
      return state.models
    },
    deleted: state.deleted,
    failDelete: state.failDelete,
    close: () => new Promise<void>((done) => server.close(() => done())),
  }
}
