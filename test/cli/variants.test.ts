import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cli, fakeOllama, tempDir, type FakeOllama } from './cli-helpers.ts'

const V1 = 'LLM-FuZe-gemma3-4b-i-f16-nvidia-3090-ng32:latest'
const V2 = 'LLM-FuZe-gemma3-4b-i-f16-cpu-ng8:latest'
const BASE = 'gemma3:4b-it-fp16'
const OTHER = 'someone-else-ng4:latest'

describe('fuze-bench variants cleanup', () => {
  let ollama: FakeOllama
  beforeEach(async () => {
    ollama = await fakeOllama([BASE, V1, V2, OTHER])
  })
  afterEach(() => ollama.close())

  it('lists baked variants and deletes nothing without --yes', async () => {
    const r = await cli(['variants', 'cleanup', '--host', ollama.url])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`${ollama.url}: 4 tags, 2 variant(s) selected (dry run: add --yes to delete)\n  would delete  ${V1}\n  would delete  ${V2}`)
    expect(ollama.deleted).toEqual([])
  })

  it('deletes them with --yes, honouring --keep', async () => {
    const r = await cli(['variants', 'cleanup', '--host', ollama.url, '--keep', 'cpu', '--yes'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`  deleted  ${V1}`)
    expect(ollama.deleted).toEqual([V1])
    expect(ollama.models).toEqual([BASE, V2, OTHER])
  })

  it('refuses a --match that selects base models unless --force', async () => {
    const r = await cli(['variants', 'cleanup', '--host', ollama.url, '--match', '^gemma3:', '--yes'])
    expect(r.stdout).toContain(`  refused  ${BASE}  (not a baked variant name; add --force to delete it)`)
    expect(ollama.deleted).toEqual([])
    const forced = await cli(['variants', 'cleanup', '--host', ollama.url, '--match', '^gemma3:', '--force', '--yes'])
    expect(forced.code).toBe(0)
    expect(ollama.deleted).toEqual([BASE])
  })

  it('takes the names from a created list and reports failed deletions with exit 1', async () => {
    const list = join(tempDir('variants'), 'ollama_created.txt')
    writeFileSync(list, `# created in run X\n${V2.replace(':latest', '')}\nnot-present-ng1\n`)
    ollama.failDelete.add(V2)
    const r = await cli(['variants', 'cleanup', '--host', ollama.url, '--from-created', list, '--yes'])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain(`  FAILED   ${V2}  (DELETE ${ollama.url}/api/delete answered HTTP 500: cannot delete ${V2})`)
  })

  it('uses OLLAMA_URL, and says how to fix an unreachable Ollama', async () => {
    const ok = await cli(['variants', 'cleanup'], { env: { OLLAMA_URL: ollama.url } })
    expect(ok.stdout).toContain('2 variant(s) selected')
    const url = ollama.url
    await ollama.close()
    ollama = await fakeOllama([])
    const r = await cli(['variants', 'cleanup', '--host', url])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(
      new RegExp(`^fuze-bench variants: cannot use Ollama at ${url}: GET ${url}/api/tags failed: .+ Start it or point OLLAMA_URL / --host at a running one\\.`),
    )
  })

  it('rejects bad usage with exit 2', async () => {
    expect((await cli(['variants', 'purge'])).code).toBe(2)
    const r = await cli(['variants', 'cleanup', '--match', '('])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("--match '(' is not a valid regular expression")
  })
})
