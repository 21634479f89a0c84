// Two processes ask for the same model at once. To make the race certain rather than lucky, this
// test holds the lock itself until both children report that they are waiting on it, then lets go.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa, type ResultPromise } from 'execa'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { readBundledFile } from '../../fixtures/llama-source.ts'
import { modelPath, sidecarPath, verifyModel } from '../../fixtures/model/ensure-model.ts'
import { acquireLock } from '../../fixtures/lock.ts'
import { VOCAB_FILE } from '../../fixtures/model/presets.ts'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const child = fileURLToPath(new URL('./ensure-child.ts', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'fuze-concurrent-'))
const savedCache = process.env.FUZE_CACHE_DIR
const children: ResultPromise[] = []

beforeAll(async () => {
  process.env.FUZE_CACHE_DIR = dir
  await readBundledFile(VOCAB_FILE)
})
afterAll(() => {
  for (const c of children) c.kill('SIGKILL')
  if (savedCache === undefined) delete process.env.FUZE_CACHE_DIR
  else process.env.FUZE_CACHE_DIR = savedCache
  rmSync(dir, { recursive: true, force: true })
})

/** Resolves when the child's stderr contains `text`; rejects if the child ends first. */
function stderrSays(c: ResultPromise, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = ''
    c.stderr?.on('data', (d: Buffer) => {
      seen += d.toString()
      if (seen.includes(text)) resolve()
    })
    c.then(
      (r) => reject(new Error(`child exited (${r.exitCode}) before saying "${text}"; stderr:\n${seen}`)),
      (e: Error) => reject(e),
    )
  })
}

test('two processes calling ensureModel together produce one valid file, generated once', async () => {
  const path = modelPath('tiny')
  const held = await acquireLock(`${path}.lock`)
  try {
    for (let i = 0; i < 2; i++) {
      children.push(execa(process.execPath, ['--import', 'tsx', child, 'tiny'], { cwd: repoRoot, env: { FUZE_CACHE_DIR: dir }, reject: false }))
    }
    await Promise.all(children.map((c) => stderrSays(c, `waiting for process ${process.pid}`)))
  } finally {
    await held.release()
  }
  const [a, b] = await Promise.all(children)
  expect([a.exitCode, b.exitCode]).toEqual([0, 0])
  expect(a.stdout).toBe(path)
  expect(b.stdout).toBe(path)
  const generating = `${a.stderr}\n${b.stderr}`.split('\n').filter((l) => l.startsWith('generating model tiny-random'))
  expect(generating).toHaveLength(1)
  expect(await verifyModel(path)).toEqual({ ok: true })
  expect(readdirSync(dirname(path)).sort()).toEqual([basename(path), basename(sidecarPath(path))])
})
