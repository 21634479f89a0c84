import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, fakeOllama, ROOT, tempDir, type FakeOllama } from './cli-helpers.ts'

const template = (mode: string) => readFileSync(join(ROOT, 'env', 'templates', `${mode}.env`), 'utf8')

describe('fuze-bench envs', () => {
  let ollama: FakeOllama
  beforeAll(async () => {
    ollama = await fakeOllama(['gemma3:4b-it-fp16', 'hf.co/bartowski/Qwen2.5-7B-GGUF:Q4_K_M', 'LLM-FuZe-gemma3-4b-i-f16-cpu-ng8:latest', 'llama3.2:1b'])
  })
  afterAll(() => ollama.close())

  it('generate writes one file per model and mode from the templates with the regex-escaped tag, skipping baked variants', async () => {
    const dir = tempDir('envs')
    const r = await cli(['envs', 'generate', '--host', ollama.url, '--dir', dir, '--include', 'gemma|Qwen'])
    expect(r.code).toBe(0)
    expect(readdirSync(join(dir, 'explore')).sort()).toEqual(['LLM-FuZe-gemma3-4b-it-fp16.env', 'LLM-FuZe-hf.co-bartowski-Qwen2.5-7B-GGUF-Q4_K_M.env'])
    expect(readFileSync(join(dir, 'preprod', 'LLM-FuZe-gemma3-4b-it-fp16.env'), 'utf8')).toBe(template('preprod').replace('__MODEL_TAG__', 'gemma3:4b-it-fp16'))
    expect(readFileSync(join(dir, 'explore', 'LLM-FuZe-hf.co-bartowski-Qwen2.5-7B-GGUF-Q4_K_M.env'), 'utf8')).toContain(
      `INCLUDE_MODELS='^hf\\.co/bartowski/Qwen2\\.5-7B-GGUF:Q4_K_M$'`,
    )
    expect(r.stdout).toContain(`wrote        ${join(dir, 'explore', 'LLM-FuZe-gemma3-4b-it-fp16.env')}`)

    // A hand-edited file is kept unless --overwrite; --dry-run writes nothing.
    const edited = join(dir, 'explore', 'LLM-FuZe-gemma3-4b-it-fp16.env')
    writeFileSync(edited, 'BENCH_NUM_PREDICT=7\n')
    const again = await cli(['envs', 'generate', '--mode', 'explore', '--host', ollama.url, '--dir', dir, '--include', 'gemma', '--dry-run'])
    expect(again.stdout).toContain(`kept         ${edited}  (exists and differs; --overwrite replaces it)`)
    const over = await cli(['envs', 'generate', '--mode', 'explore', '--host', ollama.url, '--dir', dir, '--include', 'llama3', '--dry-run'])
    expect(over.stdout).toContain(`would write  ${join(dir, 'explore', 'LLM-FuZe-llama3.2-1b.env')}`)
    expect(existsSync(join(dir, 'explore', 'LLM-FuZe-llama3.2-1b.env'))).toBe(false)
    await cli(['envs', 'generate', '--mode', 'explore', '--host', ollama.url, '--dir', dir, '--include', 'gemma', '--overwrite'])
    expect(readFileSync(edited, 'utf8')).toBe(template('explore').replace('__MODEL_TAG__', 'gemma3:4b-it-fp16'))
  })

  it('promote copies preprod files to prod with ALIAS_SUFFIX=-prod, selected by name or INCLUDE_MODELS', async () => {
    const dir = tempDir('promote')
    mkdirSync(join(dir, 'preprod'))
    writeFileSync(join(dir, 'preprod', 'a.env'), "INCLUDE_MODELS='^gemma3:4b$'\nALIAS_SUFFIX=-preprod\nBENCH_NUM_PREDICT=64\n")
    writeFileSync(join(dir, 'preprod', 'b.env'), "INCLUDE_MODELS='^llama3:8b$'\nexport ALIAS_SUFFIX=-preprod\n")
    const r = await cli(['envs', 'promote', '--model', 'gemma3', '--dir', dir])
    expect(r.code).toBe(0)
    expect(readdirSync(join(dir, 'prod'))).toEqual(['a.env'])
    expect(readFileSync(join(dir, 'prod', 'a.env'), 'utf8')).toBe("INCLUDE_MODELS='^gemma3:4b$'\nBENCH_NUM_PREDICT=64\nALIAS_SUFFIX=-prod\n")
    await cli(['envs', 'promote', '--all', '--dir', dir])
    expect(readFileSync(join(dir, 'prod', 'b.env'), 'utf8')).toBe("INCLUDE_MODELS='^llama3:8b$'\nALIAS_SUFFIX=-prod\n")
    const none = await cli(['envs', 'promote', '--model', 'mistral', '--dir', dir])
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('no env files in')
    const both = await cli(['envs', 'promote', '--dir', dir])
    expect([both.code, both.stderr]).toEqual([2, 'promote needs exactly one of --all or --model RE. Run `fuze-bench envs --help` for the options.'])
  })
})
