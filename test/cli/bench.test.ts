// `fuze-bench bench` against a throwaway vitest project whose bench records what its worker saw.
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { cli, ROOT, tempDir } from './cli-helpers.ts'

describe('fuze-bench bench --dry-run', () => {
  const dir = tempDir('tiers')
  const logDir = join(dir, 'results')
  beforeAll(() => {
    mkdirSync(join(dir, 'preprod'))
    writeFileSync(join(dir, 'preprod', 'LLM-FuZe-gemma3-4b.env'), "INCLUDE_MODELS='^gemma3:4b$'\n")
    writeFileSync(join(dir, 'preprod', 'LLM-FuZe-qwen.env'), "INCLUDE_MODELS='^qwen2:7b$'\n")
    writeFileSync(join(dir, 'preprod', 'notes.txt'), 'not an env file\n')
  })

  it('prints the exact vitest command per env file, in order, with flags passed as FUZE_KNOB_FLAGS', async () => {
    const r = await cli(
      ['bench', '--env', 'preprod', '--dir', dir, '--stack', 'ollama,vLLM', 'llamacpp', '--gpu', '0', '--debug', '--dry-run', '--', '-t', 'decode 128'],
      { env: { LOG_DIR: logDir } },
    )
    expect(r.code).toBe(0)
    const flags = `FUZE_KNOB_FLAGS='{"BENCH_GPU":"0","DEBUG":"1"}'`
    const cmd = `npx vitest bench --run --project ollama --project vllm --project llama.cpp -t 'decode 128'`
    expect(r.stdout).toBe(
      [
        `[1/2] ${join(dir, 'preprod', 'LLM-FuZe-gemma3-4b.env')}: BENCH_ENV_FILE=${join(dir, 'preprod', 'LLM-FuZe-gemma3-4b.env')} ${flags} ${cmd}`,
        `[2/2] ${join(dir, 'preprod', 'LLM-FuZe-qwen.env')}: BENCH_ENV_FILE=${join(dir, 'preprod', 'LLM-FuZe-qwen.env')} ${flags} ${cmd}`,
        'dry run: 2 env file run(s) shown, 0 skipped (stamped), 0 failed',
      ].join('\n'),
    )
  })

  it('selects env files by INCLUDE_MODELS or name with --model; without env files --model sets INCLUDE_MODELS', async () => {
    const byInclude = await cli(['bench', '--env', 'preprod', '--dir', dir, '--stack', 'ollama', '--model', 'gemma3:4b', '--dry-run'], {
      env: { LOG_DIR: logDir },
    })
    expect(byInclude.stdout.split('\n')[0]).toBe(
      `[1/1] ${join(dir, 'preprod', 'LLM-FuZe-gemma3-4b.env')}: BENCH_ENV_FILE=${join(dir, 'preprod', 'LLM-FuZe-gemma3-4b.env')} npx vitest bench --run --project ollama`,
    )
    const byName = await cli(['bench', '--env', 'preprod', '--dir', dir, '--stack', 'ollama', '--model', 'FuZe-qwen', '--dry-run'], {
      env: { LOG_DIR: logDir },
    })
    expect(byName.stdout).toContain(`[1/1] ${join(dir, 'preprod', 'LLM-FuZe-qwen.env')}`)
    const none = await cli(['bench', '--stack', 'ollama', '--model', 'gemma', '--dry-run'], { env: { LOG_DIR: logDir } })
    expect(none.stdout.split('\n')[0]).toBe(
      `[1/1] environment only (no env file): FUZE_KNOB_FLAGS='{"INCLUDE_MODELS":"(?:gemma)"}' npx vitest bench --run --project ollama`,
    )
  })

  it('falls back to the tier template when the tier folder is empty, and refuses an empty prod', async () => {
    const empty = tempDir('empty-tiers')
    const r = await cli(['bench', '--env', 'explore', '--dir', empty, '--stack', 'llama.cpp', '--dry-run'], { env: { LOG_DIR: logDir } })
    const derived = join(logDir, '.stamps', 'templates', 'explore.env')
    expect(r.stdout.split('\n')[0]).toBe(
      `[1/1] explore template (no env files in ${join(empty, 'explore')}): BENCH_ENV_FILE=${derived} npx vitest bench --run --project llama.cpp`,
    )
    expect(readFileSync(derived, 'utf8')).not.toContain('INCLUDE_MODELS')
    expect(readFileSync(derived, 'utf8')).toContain('ALIAS_SUFFIX=-explore')
    const prod = await cli(['bench', '--env', 'prod', '--dir', empty, '--dry-run'], { env: { LOG_DIR: logDir } })
    expect(prod.code).toBe(2)
    expect(prod.stderr).toContain(`no env files in ${join(empty, 'prod')}; promote preprod ones with \`fuze-bench envs promote --all\``)
  })

  it('validates every env file first and reports all bad keys at once, running nothing', async () => {
    const f1 = join(dir, 'bad1.env')
    const f2 = join(dir, 'bad2.env')
    writeFileSync(f1, 'BENCH_NUM_PREDICT=abc\nTEMPERATURE=hot\nPORT_A=0\n')
    writeFileSync(f2, 'NG_PERCENT_SET="100 0"\n')
    const r = await cli(['bench', '--stack', 'llama.cpp', `@${f1}`, `@${f2}`], { env: { LOG_DIR: logDir } })
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(`${f1}: 3 settings are invalid, so nothing was started. BENCH_NUM_PREDICT='abc' (from ${f1}:1)`)
    expect(r.stderr).toContain(`TEMPERATURE='hot' (from ${f1}:2)`)
    expect(r.stderr).toContain(`PORT_A='0' (from ${f1}:3) is not valid: expected a whole number from 1 to 65535.`)
    expect(r.stderr).toContain(`${f2}: One setting is invalid`)
    expect((await cli(['bench', '--stack', 'mlx'])).stderr).toBe(
      "unknown stack 'mlx' (known: llama.cpp, ollama, vllm, triton, tgi, sglang, openai, sim). Run `fuze-bench bench --help` for the options.",
    )
  })
})

describe('fuze-bench bench (real vitest runs)', () => {
  const proj = tempDir('benchproj')
  const probe = join(proj, 'probe.jsonl')
  const logDir = join(proj, 'results')
  const env = { LOG_DIR: logDir, PROBE_OUT: probe }
  beforeAll(() => {
    symlinkSync(join(ROOT, 'node_modules'), join(proj, 'node_modules'))
    mkdirSync(join(proj, 'bench'))
    writeFileSync(
      join(proj, 'vitest.config.mjs'),
      `export default { test: { projects: [{ test: { name: 'llama.cpp', benchmark: { include: ['bench/*.bench.ts'] } } }] } }\n`,
    )
    writeFileSync(
      join(proj, 'bench', 'probe.bench.ts'),
      `import { appendFileSync } from 'node:fs'
import { bench } from 'vitest'
import { getKnobs } from ${JSON.stringify(join(ROOT, 'env', 'index.ts'))}
const k = getKnobs()
if (k.BENCH_NUM_PREDICT === 13) throw new Error('unlucky env file')
appendFileSync(process.env.PROBE_OUT!, JSON.stringify({ file: process.env.BENCH_ENV_FILE, predict: k.BENCH_NUM_PREDICT, debug: k.DEBUG, gpu: k.BENCH_GPU ?? null }) + '\\n')
bench('probe', async () => {}, { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 })
`,
    )
    writeFileSync(join(proj, 'a.env'), 'BENCH_NUM_PREDICT=7\n')
    writeFileSync(join(proj, 'b.env'), 'BENCH_NUM_PREDICT=9\n')
  })
  const probes = () =>
    existsSync(probe)
      ? readFileSync(probe, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
      : []

  it('runs vitest once per env file with its knobs, stamps successes, skips them next time, reruns failures', async () => {
    const first = await cli(['bench', '--stack', 'llama.cpp', '@a.env', '@b.env', '--debug', '--gpu', '1'], { env, cwd: proj })
    expect(first.code).toBe(0)
    expect(probes()).toEqual([
      { file: join(proj, 'a.env'), predict: 7, debug: true, gpu: '1' },
      { file: join(proj, 'b.env'), predict: 9, debug: true, gpu: '1' },
    ])
    expect(readdirSync(join(logDir, '.stamps', 'llama.cpp'))).toHaveLength(2)

    const second = await cli(['bench', '--stack', 'llama.cpp', '@a.env', '@b.env'], { env, cwd: proj })
    expect(second.code).toBe(0)
    expect(second.stdout).toContain(`[1/2] ${join(proj, 'a.env')}: skipped, already benched for llama.cpp with this content (--force reruns)`)
    expect(second.stdout).toContain('0 env file run(s), 2 skipped (stamped), 0 failed')
    expect(probes()).toHaveLength(2)

    writeFileSync(join(proj, 'b.env'), 'BENCH_NUM_PREDICT=13\n')
    const third = await cli(['bench', '--stack', 'llama.cpp', '@a.env', '@b.env'], { env, cwd: proj })
    expect(third.code).toBe(1)
    expect(third.stdout).toContain(`[2/2] ${join(proj, 'b.env')}: vitest exited 1; not stamped, it reruns next time`)
    expect(readdirSync(join(logDir, '.stamps', 'llama.cpp'))).toHaveLength(2)

    const forced = await cli(['bench', '--stack', 'llama.cpp', '@a.env', '--force', '--dry-run'], { env, cwd: proj })
    expect(forced.stdout.split('\n')[0]).toBe(`[1/1] ${join(proj, 'a.env')}: BENCH_ENV_FILE=${join(proj, 'a.env')} npx vitest bench --run --project llama.cpp`)
  })
})
