// A fake Ollama store built here: manifests + blobs, one GGUF model, one non-GGUF blob, an hf.co name.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseEnvFile } from '../../env/index.ts'
import { cli, tempDir } from './cli-helpers.ts'

function manifest(store: string, path: string[], digest: string, mediaType = 'application/vnd.ollama.image.model') {
  mkdirSync(join(store, 'manifests', ...path.slice(0, -1)), { recursive: true })
  const layers = [
    { mediaType: 'application/vnd.ollama.image.template', digest: 'sha256:aaaa', size: 10 },
    { mediaType, digest, size: 100 },
  ]
  writeFileSync(join(store, 'manifests', ...path), JSON.stringify({ schemaVersion: 2, layers }))
}

function buildStore() {
  const root = tempDir('store')
  const store = join(root, 'ollama')
  mkdirSync(join(store, 'blobs'), { recursive: true })
  const gguf = Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(60, 1)])
  writeFileSync(join(store, 'blobs', 'sha256-1111'), gguf)
  writeFileSync(join(store, 'blobs', 'sha256-2222'), Buffer.from('PK\u0003\u0004 not gguf'))
  writeFileSync(join(store, 'blobs', 'sha256-3333'), gguf)
  manifest(store, ['registry.ollama.ai', 'library', 'gemma3', '4b-it-fp16'], 'sha256:1111')
  manifest(store, ['registry.ollama.ai', 'library', 'clipper', 'latest'], 'sha256:2222')
  manifest(store, ['hf.co', 'bartowski', 'Qwen2.5-7B-GGUF', 'Q4_K_M'], 'sha256:3333')
  return { root, store }
}

describe('fuze-bench export-gguf', () => {
  it('links GGUF blobs as <alias>.gguf, reports every model, merges models.env and writes the CSV', async () => {
    const { root, store } = buildStore()
    const dest = join(root, 'gguf')
    const envOut = join(root, 'models.env')
    writeFileSync(envOut, '# mine\nLLAMACPP_PATH_old_model="/keep/me.gguf"\nLLAMACPP_PATH_gemma3_4b_i_f16=/stale.gguf\n')
    const logDir = join(root, 'results')
    const env = { OLLAMA_MODELS: store, LOG_DIR: logDir }
    const r = await cli(['export-gguf', '--dest', dest, '--env-out', envOut], { env })
    expect(r.code).toBe(0)

    const gemma = join(dest, 'gemma3-4b-i-f16.gguf')
    const qwen = join(dest, 'hf.co-bartowski-Qwen2.5-7B-GGUF-Q4_K_M.gguf')
    expect(readlinkSync(gemma)).toBe(join(store, 'blobs', 'sha256-1111'))
    expect(readlinkSync(qwen)).toBe(join(store, 'blobs', 'sha256-3333'))
    expect(readdirSync(dest).sort()).toEqual([gemma, qwen].map((p) => p.slice(dest.length + 1)).sort())

    expect(readFileSync(envOut, 'utf8')).toBe(
      `# mine\nLLAMACPP_PATH_old_model="/keep/me.gguf"\nLLAMACPP_PATH_gemma3_4b_i_f16=${JSON.stringify(gemma)}\nLLAMACPP_PATH_hf_co_bartowski_Qwen2_5_7B_GGUF_Q4_K_M=${JSON.stringify(qwen)}\n`,
    )
    expect(parseEnvFile(envOut).entries.map((e) => e.value)).toEqual(['/keep/me.gguf', gemma, qwen])

    const csvs = readdirSync(logDir).filter((f) => /^ollama_export_\d{8}_\d{6}\.csv$/.test(f))
    expect(csvs).toHaveLength(1)
    const lines = readFileSync(join(logDir, csvs[0]), 'utf8').trim().split('\n')
    const host = lines[1].split(',')[3]
    expect(lines).toEqual([
      'model_tag,gguf_path,size_bytes,host,status',
      `clipper:latest,,13,${host},not-gguf`,
      `gemma3:4b-it-fp16,${gemma},64,${host},linked`,
      `hf.co/bartowski/Qwen2.5-7B-GGUF:Q4_K_M,${qwen},64,${host},linked`,
    ])

    // Second run: same links are 'unchanged'; --copy replaces the link by a file.
    const again = await cli(['export-gguf', '--dest', dest, '--env-out', envOut, '--include', 'gemma'], { env })
    expect(again.stdout).toMatch(/gemma3:4b-it-fp16\s+unchanged/)
    const copied = await cli(['export-gguf', '--dest', dest, '--env-out', envOut, '--include', 'gemma', '--copy'], { env })
    expect(copied.stdout).toMatch(/gemma3:4b-it-fp16\s+copied/)
    expect(lstatSync(gemma).isSymbolicLink()).toBe(false)
    expect(readFileSync(gemma).subarray(0, 4).toString()).toBe('GGUF')
  })

  it('--dry-run changes nothing; --exclude filters; a missing store says which variable to set', async () => {
    const { root, store } = buildStore()
    const dest = join(root, 'gguf')
    const r = await cli(['export-gguf', '--dest', dest, '--env-out', join(root, 'm.env'), '--exclude', '^hf\\.co/', '--dry-run'], {
      env: { OLLAMA_MODELS: store, LOG_DIR: join(root, 'r') },
    })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/gemma3:4b-it-fp16\s+would-link/)
    expect(r.stdout).not.toContain('Qwen')
    expect([existsSync(dest), existsSync(join(root, 'm.env')), existsSync(join(root, 'r'))]).toEqual([false, false, false])
    const missing = await cli(['export-gguf'], { env: { OLLAMA_MODELS: join(root, 'nope') } })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain(`no Ollama store at ${join(root, 'nope')} (no manifests/ folder); set OLLAMA_MODELS`)
  })
})
