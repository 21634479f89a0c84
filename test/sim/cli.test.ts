import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa, type ResultPromise } from 'execa'
import { describe, expect, it } from 'vitest'
import { json, raw } from './raw.ts'

const root = resolve(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'fuze-sim-cli-'))

function sim(args: string[], entry = 'sim/cli.ts') {
  const argv = entry === 'sim/cli.ts' ? ['--import', 'tsx', entry, ...args] : [entry, 'sim', ...args]
  return execa(process.execPath, argv, { cwd: root, reject: false, timeout: 30_000 })
}

/** Resolves with the first stdout line (the ready line) of a running simulator process. */
function readyLine(child: ResultPromise): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let out = ''
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString()
      const i = out.indexOf('\n')
      if (i >= 0) resolvePromise(out.slice(0, i))
    })
    child.once('exit', (code) => reject(new Error(`simulator exited (${code}) before its ready line; stdout: ${out}`)))
  })
}

function configFile(name: string, value: unknown): string {
  const file = join(dir, name)
  writeFileSync(file, JSON.stringify(value))
  return file
}

describe('sim CLI', () => {
  it('prints exactly the ready line, serves, and exits 0 on SIGTERM', async () => {
    const child = sim(['--protocol', 'openai', '--port', '0', '--ttft-ms', '1'])
    const line = await readyLine(child)
    expect(line).toMatch(/^sim listening on http:\/\/127\.0\.0\.1:\d+$/)
    const url = line.slice('sim listening on '.length)
    expect((await raw(`${url}/health`)).status).toBe(200)
    child.kill('SIGTERM')
    const result = await child
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toBe(line)
  })

  it('merges --config and flags (flags win) and runs through `fuze-bench sim`, exiting 0 on SIGINT', async () => {
    const file = configFile('ok.json', { protocol: 'tgi', itlMs: 3, faults: { keepAlive: true } })
    const child = sim(['--config', file, '--itl-ms', '4', '--models', 'a,b', '--fault-empty-chunks', '2'], 'cli/bin.mjs')
    const url = (await readyLine(child)).slice('sim listening on '.length)
    const cfg = await json<{ protocol: string; itlMs: number; models: string[]; faults: Record<string, unknown> }>(`${url}/_sim/config`)
    expect(cfg.value).toMatchObject({ protocol: 'tgi', itlMs: 4, models: ['a', 'b'], faults: { keepAlive: true, emptyChunks: 2 } })
    child.kill('SIGINT')
    expect((await child).exitCode).toBe(0)
  })

  it('exits 2 naming an unknown config key', async () => {
    const file = configFile('bad.json', { protocol: 'ollama', itlMS: 3, faults: { dropEverything: true } })
    const result = await sim(['--config', file])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain("unknown key 'faults.dropEverything'")
    expect(result.stderr).toContain("unknown key 'itlMS'")
    expect(result.stderr).toContain(file)
    expect(result.stdout).toBe('')
  })

  it('dies after faults.dieAfterRequests generate requests', async () => {
    const child = sim(['--protocol', 'ollama', '--ttft-ms', '0', '--itl-ms', '0', '--fault-die-after-requests', '2'])
    const url = (await readyLine(child)).slice('sim listening on '.length)
    const body = { model: 'sim-model', prompt: 'x', stream: false, options: { num_predict: 1 } }
    expect((await raw(`${url}/api/generate`, { body })).status).toBe(200)
    expect((await raw(`${url}/api/generate`, { body })).status).toBe(200)
    const result = await child
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('dieAfterRequests=2 reached')
  })
})
