// Fault #16: a corrupt cached llama-server or generated model is detected and rebuilt, never run. The cache is a
// temp FUZE_CACHE_DIR; the llama-server rebuild is stopped at its first step (no git/cmake on PATH) so the test
// sees the detection and the start of the rebuild without an 8-minute compile.
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, writeSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ensureModel, modelPath, verifyModel } from '../../fixtures/model/ensure-model.ts'
import { buildDir, ensureLlamaServer, ProvisionError } from '../../fixtures/provision.ts'

const saved = { FUZE_CACHE_DIR: process.env.FUZE_CACHE_DIR, PATH: process.env.PATH, LLAMACPP_BIN: process.env.LLAMACPP_BIN }

function restore(): void {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
}

/** Overwrite `bytes` in the middle of a file: same size, different content. */
function flipMiddle(path: string, bytes = 64): void {
  const size = readFileSync(path).length
  const fd = openSync(path, 'r+')
  writeSync(fd, Buffer.alloc(bytes, 0xa5), 0, bytes, Math.floor(size / 2))
  closeSync(fd)
}

describe('#16 corrupt caches', () => {
  let realServer = ''
  beforeEach(async () => {
    restore()
    delete process.env.LLAMACPP_BIN
    realServer = (await ensureLlamaServer(() => undefined)).path // the machine's real cached (or PATH) binary
    process.env.FUZE_CACHE_DIR = mkdtempSync(join(tmpdir(), 'fuze-fault-cache-'))
  })
  afterEach(restore)

  /** A cache holding a copy of the real llama-server and its stamp, as a finished build leaves it. */
  async function seededCache(): Promise<string> {
    process.env.PATH = '/nonexistent-fuze-fault-path' // no llama-server, git or cmake: a rebuild stops at once
    const bin = join(await buildDir(), 'bin', 'llama-server')
    mkdirSync(join(bin, '..'), { recursive: true })
    copyFileSync(realServer, bin)
    writeFileSync(`${bin}.sha256`, createHash('sha256').update(readFileSync(bin)).digest('hex'))
    return bin
  }

  it('an intact cached llama-server is used as is', async () => {
    const bin = await seededCache()
    expect(await ensureLlamaServer(() => undefined)).toEqual({ path: bin, source: 'cache' })
  })

  it('a corrupted cached llama-server is detected, removed, and a rebuild starts', async () => {
    const bin = await seededCache()
    flipMiddle(bin)
    const lines: string[] = []
    const err = await ensureLlamaServer((l) => lines.push(l)).catch((e: unknown) => e)
    expect(lines[0]).toBe(`cached llama-server at ${bin} is corrupt (checksum or --version failed); rebuilding it`)
    expect(lines.some((l) => l.startsWith('building llama-server '))).toBe(true)
    expect(existsSync(bin)).toBe(false) // never run again
    expect(err).toBeInstanceOf(ProvisionError)
    expect((err as Error).message).toMatch(/Cannot build llama-server: 'git' is not on PATH\. .*set LLAMACPP_BIN/)
  })

  it('a cached llama-server whose checksum stamp is missing is not trusted', async () => {
    const bin = await seededCache()
    writeFileSync(`${bin}.sha256`, '')
    const lines: string[] = []
    await ensureLlamaServer((l) => lines.push(l)).catch(() => undefined)
    expect(lines[0]).toContain('is corrupt (checksum or --version failed); rebuilding it')
  })

  it('a corrupted cached model is detected and regenerated to a verified file', async () => {
    const first = await ensureModel('tiny', { log: () => undefined })
    expect(first).toBe(modelPath('tiny'))
    flipMiddle(first)
    const lines: string[] = []
    const again = await ensureModel('tiny', { log: (l) => lines.push(l) })
    expect(again).toBe(first)
    expect(lines[0]).toMatch(/^cached model .* has sha256 [0-9a-f]{12}… but .*\.sha256 says [0-9a-f]{12}… \(corrupted\); regenerating it$/)
    expect(await verifyModel(again)).toEqual({ ok: true })
  })
})
