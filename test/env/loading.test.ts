// Env files, precedence, aggregated errors, redaction and aliases, on real files in a temp folder.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { aliasOf, effectiveEnv, EnvFileError, getKnobs, KnobError, loadKnobs, parseEnvFile, pinKnobs, redact, resetKnobsCache } from '../../env/index.ts'
import { knobTableMarkdown } from '../../env/knob-table.ts'

const dir = mkdtempSync(join(tmpdir(), 'fuze-env-'))
function file(name: string, text: string): string {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}
function errorOf(fn: () => unknown): KnobError {
  try {
    fn()
  } catch (e) {
    if (e instanceof KnobError) return e
    throw e
  }
  throw new Error('expected a KnobError')
}

describe('parseEnvFile', () => {
  it('reads KEY=VALUE with export, quotes, inline comments and $VAR references, executing nothing', () => {
    const marker = join(dir, 'pwned')
    const p = file(
      'ok.env',
      [
        '# comment',
        '',
        'export BENCH_NUM_PREDICT=64   # tokens',
        `NG_PERCENT_SET="100 90 75" # quoted list`,
        `INCLUDE_MODELS='^gemma3:4b-it-fp16$'`,
        `BENCH_PROMPT="say \\"hi\\" # not a comment"`,
        'ALIAS_PREFIX=a#b',
        'MODEL_DIR=$HOME/models',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the env file must keep ${…} literally (nothing is expanded)
        'LLAMACPP_MODELS_ENV=${MODEL_DIR}/models.env',
        `OLLAMA_BIN='$(touch ${marker})'`,
      ].join('\n'),
    )
    const { entries } = parseEnvFile(p, { HOME: '/home/u' })
    expect(entries).toEqual([
      { key: 'BENCH_NUM_PREDICT', value: '64', line: 3 },
      { key: 'NG_PERCENT_SET', value: '100 90 75', line: 4 },
      { key: 'INCLUDE_MODELS', value: '^gemma3:4b-it-fp16$', line: 5 },
      { key: 'BENCH_PROMPT', value: 'say "hi" # not a comment', line: 6 },
      { key: 'ALIAS_PREFIX', value: 'a#b', line: 7 },
      { key: 'MODEL_DIR', value: '/home/u/models', line: 8 },
      { key: 'LLAMACPP_MODELS_ENV', value: '/home/u/models/models.env', line: 9 },
      { key: 'OLLAMA_BIN', value: `$(touch ${marker})`, line: 10 },
    ])
    expect(existsSync(marker)).toBe(false)
  })

  it('names every bad line with file and line number', () => {
    const p = file('lines.env', ['GOOD=1', 'no equals here', 'BAD KEY=1', 'X="open', 'Y=$(rm -rf /)', 'Z=two words'].join('\n'))
    let err: EnvFileError | undefined
    try {
      parseEnvFile(p)
    } catch (e) {
      err = e as EnvFileError
    }
    expect(err).toBeInstanceOf(EnvFileError)
    expect(err!.issues.map((i) => i.line)).toEqual([2, 3, 4, 5, 6])
    expect(err!.message).toContain(`${p}: line 2 ("no equals here"): no \`=\`; expected KEY=VALUE`)
    expect(err!.message).toContain('line 4 ("X=\\"open"): unterminated double quote')
    expect(err!.message).toContain('line 5 ("Y=$(rm -rf /)"): command substitution ($(…) or backticks) is not run')
    expect(err!.message).toContain('line 6 ("Z=two words"): a value with spaces must be quoted')
  })
})

describe('loadKnobs', () => {
  it('reports all three bad keys of one file at once, with file:line and what is allowed', () => {
    const p = file('three.env', ['BENCH_NUM_PREDICT=abc', 'TEMPERATURE=hot', 'INCLUDE_MODELS=(gemma', 'BENCH_WARMUP=1'].join('\n'))
    const err = errorOf(() => loadKnobs({ env: {}, files: [p] }))
    expect(err.issues.map((i) => `${i.key}@${i.source}`)).toEqual([`BENCH_NUM_PREDICT@${p}:1`, `TEMPERATURE@${p}:2`, `INCLUDE_MODELS@${p}:3`])
    expect(err.message).toBe(
      `3 settings are invalid, so nothing was started. ` +
        `BENCH_NUM_PREDICT='abc' (from ${p}:1) is not valid: expected a whole number ≥ 1. ` +
        `TEMPERATURE='hot' (from ${p}:2) is not valid: expected a number from 0 to 2. ` +
        `INCLUDE_MODELS='(gemma' (from ${p}:3) is not valid: expected a JavaScript regular expression that compiles (e.g. ^gemma3:4b$ or llama|qwen). ` +
        `Fix these values where they come from (or remove them to use the defaults); README.md › Knobs lists every knob and what it accepts.`,
    )
  })

  it('collects problems across environment, several files and flags, including unparsable lines and missing files', () => {
    const a = file('a.env', 'BENCH_NUM_PREDCT=64\nOLLAMA_FLASH_ATTENTION=1\nnot a line\n')
    const err = errorOf(() => loadKnobs({ env: { PORT_A: '99999' }, files: [a, join(dir, 'missing.env')], flags: { BENCH_GPU: 'a\nb' } }))
    expect(err.issues.map((i) => [i.key, i.source, i.kind])).toEqual([
      ['not a line', `${a}:3`, 'file'],
      [join(dir, 'missing.env'), join(dir, 'missing.env'), 'file'],
      ['BENCH_GPU', 'flag', 'invalid'],
      ['PORT_A', 'environment', 'invalid'],
    ])
  })

  it('suggests the knob a mistyped env-file key was meant to be; server variables pass through to extraEnv', () => {
    const p = file('typo.env', 'BENCH_NUM_PREDCT=64\nOLLAMA_FLASH_ATTENTION=1\nTEMPRATURE=0.2\nHF_TOKEN=hf_abc\nOLLAMA_MODLES=/x\n')
    const err = errorOf(() => loadKnobs({ env: {}, files: [p] }))
    expect(err.message).toContain(`BENCH_NUM_PREDCT='64' (from ${p}:1) is not a knob fuze-bench knows: did you mean BENCH_NUM_PREDICT?`)
    expect(err.message).toContain(`TEMPRATURE='0.2' (from ${p}:3) is not a knob fuze-bench knows: did you mean TEMPERATURE?`)
    expect(err.message).toContain(`OLLAMA_MODLES='/x' (from ${p}:5) is not a knob fuze-bench knows: did you mean OLLAMA_MODELS?`)
    expect(err.issues).toHaveLength(3)
    const ok = file('pass.env', 'OLLAMA_FLASH_ATTENTION=1\nHF_TOKEN=hf_abc\n')
    expect(loadKnobs({ env: {}, files: [ok] }).extraEnv).toEqual({ OLLAMA_FLASH_ATTENTION: '1', HF_TOKEN: 'hf_abc' })
  })

  it("names a BENCH_ variable of the environment that is no knob, with the closest knob; ignores everyone else's", () => {
    const err = errorOf(() => loadKnobs({ env: { BENCH_REQUSTS: '3', BENCH_API_KEY: 'sk-very-secret', PATH: '/bin', OLLAMA_HOST: '0.0.0.0' } }))
    expect(err.message).toContain(`BENCH_REQUSTS='3' (from environment) is not a knob fuze-bench knows: did you mean BENCH_REQUESTS?`)
    expect(err.message).not.toContain('sk-very-secret')
    expect(err.issues.map((i) => i.key)).toEqual(['BENCH_REQUSTS', 'BENCH_API_KEY'])
    expect(loadKnobs({ env: { PATH: '/bin', OLLAMA_HOST: '0.0.0.0', FUZE_CACHE_DIR: '/tmp/x' } }).BENCH_NUM_PREDICT).toBe(128)
  })

  it('applies precedence flags > files (later wins) > environment > defaults', () => {
    const a = file('p1.env', 'BENCH_NUM_PREDICT=10\nBENCH_NUM_CTX=1000\nTEMPERATURE=0.5\n')
    const b = file('p2.env', 'BENCH_NUM_CTX=2000\n')
    const env = { BENCH_NUM_PREDICT: '1', BENCH_NUM_CTX: '1', BATCH: '7', TEMPERATURE: '1' }
    const k = loadKnobs({ env, files: [a, b], flags: { TEMPERATURE: '0.25' } })
    expect([k.BENCH_NUM_PREDICT, k.BENCH_NUM_CTX, k.BATCH, k.TEMPERATURE, k.BENCH_WARMUP]).toEqual([10, 2000, 7, 0.25, 2])
  })

  it('accepts the old names; the canonical name wins within one source and errors name the spelling used', () => {
    expect(loadKnobs({ env: { DEBUG_BENCH: '1' } }).DEBUG).toBe(true)
    expect(loadKnobs({ env: { DEBUG: '0', DEBUG_BENCH: '1' } }).DEBUG).toBe(false)
    expect(loadKnobs({ env: { OLLAMA_MODELS_DIR: '/FuZe/models/ollama' } }).OLLAMA_MODELS).toBe('/FuZe/models/ollama')
    expect(loadKnobs({ env: { BENCH_RESULTS_DIR: '/r' } }).LOG_DIR).toBe('/r')
    expect(loadKnobs({ env: { TRITON_HTTP_A: '127.0.0.1:8000' } }).TRITON_URL).toBe('http://127.0.0.1:8000')
    const f = file('alias.env', 'DEBUG_BENCH=1\n')
    expect(loadKnobs({ env: { DEBUG: '0' }, files: [f] }).DEBUG).toBe(true)
    expect(errorOf(() => loadKnobs({ env: { DEBUG_BENCH: 'maybe' } })).issues[0].key).toBe('DEBUG_BENCH')
  })

  it('treats an empty value as unset, except where empty means something', () => {
    const k = loadKnobs({ env: { BENCH_NUM_PREDICT: '', ALIAS_PREFIX: '', CUDA_VISIBLE_DEVICES: '' } })
    expect([k.BENCH_NUM_PREDICT, k.ALIAS_PREFIX, k.CUDA_VISIBLE_DEVICES]).toEqual([128, '', ''])
  })

  it('reads per-alias keys into perAlias', () => {
    const k = loadKnobs({ env: { LLAMACPP_PATH_gemma3_4b_i_f16: '/m/a.gguf', VLLM_MODEL_qwen: 'Qwen/Qwen2.5-0.5B' } })
    expect(k.perAlias).toEqual({ LLAMACPP_PATH: { gemma3_4b_i_f16: '/m/a.gguf' }, VLLM_MODEL: { qwen: 'Qwen/Qwen2.5-0.5B' } })
  })

  it('getKnobs reads BENCH_ENV_FILE and FUZE_KNOB_FLAGS from process.env, cached until they change', () => {
    const f = file('proc.env', 'BENCH_NUM_PREDICT=33\n')
    const saved = { ...process.env }
    try {
      process.env.BENCH_ENV_FILE = f
      process.env.FUZE_KNOB_FLAGS = JSON.stringify({ DEBUG: '1' })
      resetKnobsCache()
      const k = getKnobs()
      expect([k.BENCH_NUM_PREDICT, k.DEBUG]).toEqual([33, true])
      expect(getKnobs()).toBe(k)
      process.env.FUZE_KNOB_FLAGS = JSON.stringify({ BENCH_NUM_PREDICT: '5' })
      expect(getKnobs().BENCH_NUM_PREDICT).toBe(5)
    } finally {
      for (const k of ['BENCH_ENV_FILE', 'FUZE_KNOB_FLAGS']) if (saved[k] === undefined) delete process.env[k]
      resetKnobsCache()
    }
  })

  it('pinKnobs holds the knobs of a measured case until released; a nested pin releases nothing', () => {
    const saved = process.env.BENCH_NUM_PREDICT
    try {
      process.env.BENCH_NUM_PREDICT = '7'
      resetKnobsCache()
      const release = pinKnobs()
      const inner = pinKnobs()
      process.env.BENCH_NUM_PREDICT = '9'
      expect(getKnobs().BENCH_NUM_PREDICT).toBe(7)
      inner()
      expect(getKnobs().BENCH_NUM_PREDICT).toBe(7)
      release()
      expect(getKnobs().BENCH_NUM_PREDICT).toBe(9)
      release()
      expect(getKnobs().BENCH_NUM_PREDICT).toBe(9)
    } finally {
      if (saved === undefined) delete process.env.BENCH_NUM_PREDICT
      else process.env.BENCH_NUM_PREDICT = saved
      resetKnobsCache()
    }
  })
})

describe('effectiveEnv and redact', () => {
  it('records effective values as env-file text with secrets redacted', () => {
    const p = file('sec.env', 'HF_TOKEN=hf_secret\nOPENAI_API_KEY=sk-1\nAWS_SECRET=s\nOLLAMA_FLASH_ATTENTION=1\n')
    const env = effectiveEnv(loadKnobs({ env: { BENCH_CONCURRENCY: '1,8', INCLUDE_MODELS: '^a$', LLAMACPP_PATH_x: '/x.gguf' }, files: [p] }))
    expect(env).toMatchObject({
      BENCH_CONCURRENCY: '1 8',
      INCLUDE_MODELS: '^a$',
      DEBUG: '0',
      LLAMACPP_PATH_x: '/x.gguf',
      HF_TOKEN: '***',
      OPENAI_API_KEY: '***',
      AWS_SECRET: '***',
      OLLAMA_FLASH_ATTENTION: '1',
    })
    expect(JSON.stringify(env)).not.toMatch(/hf_secret|sk-1/)
  })

  it('deep-redacts keys and secrets inside strings, and never shows a secret in an error', () => {
    expect(
      redact({
        headers: { Authorization: 'Bearer abc', 'x-api-key': 'k1' },
        argv: ['--api-key=zzz', 'HF_TOKEN=abc', 'curl -H "Authorization: Bearer xyz"', 'http://u:pw@host/x'],
        n: 3,
      }),
    ).toEqual({
      headers: { Authorization: '***', 'x-api-key': '***' },
      argv: ['--api-key=***', 'HF_TOKEN=***', 'curl -H "Authorization: Bearer ***"', 'http://u:***@host/x'],
      n: 3,
    })
    const f = file('typo-secret.env', 'BENCH_API_KEY=sk-very-secret\n')
    expect(errorOf(() => loadKnobs({ env: {}, files: [f] })).message).not.toContain('sk-very-secret')
  })
})

describe('aliasOf', () => {
  it.each([
    ['gemma3:4b-it-fp16', 'gemma3-4b-i-f16'],
    ['llama3.1:8b-instruct-bf16', 'llama3.1-8b-instruct-b16'],
    ['edit-items:latest', 'edit-items-latest'],
    ['hf.co/bartowski/Qwen2.5-7B-it-GGUF:Q4_K_M', 'hf.co-bartowski-Qwen2.5-7B-i-GGUF-Q4_K_M'],
    ['it:fp16x', 'it-fp16x'],
  ])('%s → %s', (tag, short) => {
    expect(aliasOf(tag, { ALIAS_PREFIX: 'P-', ALIAS_SUFFIX: '-explore' })).toEqual({ short, full: `P-${short}-explore` })
  })
})

describe('templates and README table', () => {
  it('both tier templates parse and validate once a tag is filled in', () => {
    for (const t of ['explore', 'preprod']) {
      const src = readFileSync(new URL(`../../env/templates/${t}.env`, import.meta.url), 'utf8')
      expect(src).toContain(`INCLUDE_MODELS='^__MODEL_TAG__$'`)
      const k = loadKnobs({ env: {}, files: [file(`${t}.env`, src.replace('__MODEL_TAG__', 'gemma3:4b'))] })
      expect(k.ALIAS_SUFFIX).toBe(`-${t}`)
      expect(k.EXHAUSTIVE).toBe(t === 'explore')
      expect(k.NG_PERCENT_SET.length).toBe(t === 'explore' ? 19 : 9)
    }
  })

  const readme = new URL('../../README.md', import.meta.url)
  const text = existsSync(readme) ? readFileSync(readme, 'utf8') : ''
  it('README.md holds exactly the generated knob table', () => {
    const m = text.match(/<!-- knobs:start -->\n([\s\S]*?)\n<!-- knobs:end -->/)
    expect(m?.[1]).toBe(knobTableMarkdown())
  })
})
