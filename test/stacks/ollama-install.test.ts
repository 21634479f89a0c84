// `fuze-bench setup --stack ollama` when the build cannot happen: one paragraph naming what is missing and what to
// do instead, before minutes of compiling. Runs the real command in a child with an empty cache.
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, describe, expect, it } from 'vitest'
import { which } from '../../fixtures/which.ts'
import { ROOT } from '../support/run-bench.ts'

/** A PATH folder holding only the named tools (node always). */
function pathWith(tools: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'fuze-path-'))
  symlinkSync(process.execPath, join(dir, 'node'))
  for (const t of tools) {
    const found = which(t)
    if (found) symlinkSync(found, join(dir, t))
  }
  return dir
}

const made: string[] = []
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true })
})

async function setup(env: Record<string, string>) {
  const cache = mkdtempSync(join(tmpdir(), 'fuze-ollama-cache-'))
  made.push(cache)
  return execa(process.execPath, [join(ROOT, 'cli', 'bin.mjs'), 'setup', '--no-models', '--stack', 'ollama'], {
    cwd: ROOT,
    env: { FUZE_CACHE_DIR: cache, LLAMACPP_BIN: process.execPath, ...env },
    reject: false,
    all: true,
  })
}

describe('setup --stack ollama without what the build needs', () => {
  it('no go on PATH: says so and names Go 1.26, OLLAMA_BIN and OLLAMA_URL', async () => {
    const r = await setup({ PATH: pathWith(['git', 'gcc', 'g++']) })
    expect(r.exitCode, r.all).not.toBe(0)
    expect(r.all).toContain("Cannot build Ollama 0.24.0: 'go' is not on PATH")
    expect(r.all).toMatch(/Go 1\.26 or newer.*OLLAMA_BIN.*OLLAMA_URL/)
  })

  it('no C++ compiler: names g++ and build-essential', async () => {
    const r = await setup({ PATH: pathWith(['git', 'go', 'gcc']) })
    expect(r.exitCode, r.all).not.toBe(0)
    expect(r.all).toContain("Cannot build Ollama 0.24.0: 'g++' is not on PATH")
    expect(r.all).toContain('apt-get install build-essential')
  })

  it.skipIf(!which('go') || !which('g++'))('Go module proxy unreachable: the go error, the GOPROXY in use and the build log', async () => {
    const r = await setup({ PATH: process.env.PATH ?? '', GOPROXY: 'http://127.0.0.1:9', GOFLAGS: '-modcacherw' })
    expect(r.exitCode, r.all).not.toBe(0)
    expect(r.all).toContain('The Go module proxy could not be reached (GOPROXY=http://127.0.0.1:9)')
    expect(r.all).toMatch(/The full build log is \S+\/ollama\/v0\.24\.0-[0-9a-f]{12}\/build\.log/)
  })
})
