import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { readBundledFile } from '../../fixtures/llama-source.ts'
import { ensureModel, modelPath, sidecarPath, verifyModel } from '../../fixtures/model/ensure-model.ts'
import { acquireLock } from '../../fixtures/lock.ts'
import { VOCAB_FILE } from '../../fixtures/model/presets.ts'

const dir = mkdtempSync(join(tmpdir(), 'fuze-ensure-'))
const savedCache = process.env.FUZE_CACHE_DIR
let lines: string[] = []
const log = (line: string): void => void lines.push(line)
let goodSha = ''

const sha = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex')

beforeAll(async () => {
  process.env.FUZE_CACHE_DIR = dir
  await readBundledFile(VOCAB_FILE) // fetch the bundled source once, outside any test's timing
})
afterAll(() => {
  if (savedCache === undefined) delete process.env.FUZE_CACHE_DIR
  else process.env.FUZE_CACHE_DIR = savedCache
  rmSync(dir, { recursive: true, force: true })
})
beforeEach(() => {
  lines = []
})

describe('ensureModel cache', () => {
  test('generates once into the cache, with a sha256sum-style sidecar, then reuses it silently', async () => {
    const path = await ensureModel('tiny', { log })
    expect(path).toBe(modelPath('tiny'))
    expect(dirname(path)).toBe(join(dir, 'models'))
    expect(basename(path)).toMatch(/^fuze-tiny-random-.+-[0-9a-f]{12}\.gguf$/)
    expect(lines[0]).toMatch(/^generating model tiny-random \(9\.2 MB\) → .*fuze-tiny-random-.*\.gguf …$/)
    expect(lines[1]).toMatch(/^generated model tiny-random: 9\.2 MB in \d+\.\d s$/)
    goodSha = sha(path)
    expect(readFileSync(sidecarPath(path), 'utf8')).toBe(`${goodSha}  ${basename(path)}\n`)
    // nothing else left behind: no lock, no temp files
    expect(readdirSync(dirname(path)).sort()).toEqual([basename(path), basename(sidecarPath(path))])

    lines = []
    expect(await ensureModel('tiny', { log })).toBe(path)
    expect(lines).toEqual([])
  })

  test('a truncated cached file is detected and rebuilt', async () => {
    const path = modelPath('tiny')
    truncateSync(path, 5_000_000)
    expect(await verifyModel(path)).toMatchObject({ ok: false, reason: expect.stringMatching(/is 5000000 bytes but its header describes 9\d{6}/) })
    expect(await ensureModel('tiny', { log })).toBe(path)
    expect(lines[0]).toBe(`cached model ${path} is 5000000 bytes but its header describes 9180608 (truncated or padded); regenerating it`)
    expect(sha(path)).toBe(goodSha)
  })

  test('a single flipped byte in the tensor data is detected and rebuilt', async () => {
    const path = modelPath('tiny')
    const bytes = readFileSync(path)
    bytes[6_000_000] ^= 0x40
    writeFileSync(path, bytes)
    expect(await ensureModel('tiny', { log })).toBe(path)
    expect(lines[0]).toMatch(
      new RegExp(`^cached model .* has sha256 [0-9a-f]{12}… but ${basename(path)}\\.sha256 says ${goodSha.slice(0, 12)}… \\(corrupted\\); regenerating it$`),
    )
    expect(sha(path)).toBe(goodSha)
  })

  test('a model without its sidecar (interrupted write) is rebuilt', async () => {
    const path = modelPath('tiny')
    unlinkSync(sidecarPath(path))
    await ensureModel('tiny', { log })
    expect(lines[0]).toContain('has no valid checksum file')
    expect(existsSync(sidecarPath(path))).toBe(true)
  })

  test('a lock left by a dead process is removed and the model is built', async () => {
    const path = modelPath('tiny')
    unlinkSync(path)
    const gone = await execa(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
    writeFileSync(`${path}.lock`, `${gone.stdout}\n${hostname()}\n`)
    writeFileSync(`${path}.tmp-${gone.stdout}`, 'half a model from the dead process')
    expect(await ensureModel('tiny', { log })).toBe(path)
    expect(lines[0]).toBe(`removing stale lock ${basename(path)}.lock (process ${gone.stdout} is gone)`)
    expect(sha(path)).toBe(goodSha)
    expect(readdirSync(dirname(path)).sort()).toEqual([basename(path), basename(sidecarPath(path))])
  })

  test('a lock held by a live process is waited for, and the wait gives up with what to do', async () => {
    const path = modelPath('tiny')
    unlinkSync(path)
    const held = await acquireLock(`${path}.lock`)
    try {
      await expect(ensureModel('tiny', { log, lockTimeoutMs: 300 })).rejects.toThrow(
        `Gave up after 0.3 s waiting for the lock ${path}.lock, held by process ${process.pid} on ${hostname()}. ` +
          'If no other fuze-bench run is working on this cache, delete that file and try again.',
      )
      expect(lines).toEqual([`waiting for process ${process.pid}, which is generating ${basename(path)} …`])
    } finally {
      await held.release()
    }
    expect(existsSync(`${path}.lock`)).toBe(false)
  })

  test('an unknown preset names the valid ones', async () => {
    // @ts-expect-error the point is a wrong name from JavaScript or an env var
    await expect(ensureModel('huge')).rejects.toThrow("Unknown generated-model preset 'huge'. Use one of: tiny, small")
  })
})
