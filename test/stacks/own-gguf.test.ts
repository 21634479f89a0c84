// llama.cpp × a user's own GGUFs: the generated tiny model copied into a temp MODEL_DIR and named in a models.env,
// benched by benches/llama.cpp/each-model.bench.ts against the real llama-server, with EXCLUDE_MODELS; -ngl
// candidates derived from the GGUF's block count when NGL_CANDIDATES is unset; models.env read by the env-file parser.
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { EnvFileError } from '../../env/index.ts'
import { ensureModel } from '../../fixtures/model/ensure-model.ts'
import { FALLBACK_NGL, modelsEnvPaths, nglCandidates } from '../../fixtures/stacks/llama-models.ts'
import { onlyRunDir, startBench } from '../support/run-bench.ts'
import { csvRows, expectFlowPassed } from './support.ts'

let dir = ''
let envFile = ''
let tiny = ''

beforeAll(async () => {
  tiny = await ensureModel('tiny')
  dir = mkdtempSync(join(tmpdir(), 'fuze-own-gguf-'))
  for (const name of ['mine-a.gguf', 'mine-b.gguf']) copyFileSync(tiny, join(dir, name))
  const other = mkdtempSync(join(tmpdir(), 'fuze-own-env-'))
  copyFileSync(tiny, join(other, 'from-env.gguf'))
  envFile = join(other, 'models.env')
  writeFileSync(envFile, `# written by hand\nexport LLAMACPP_PATH_envmodel="${join(other, 'from-env.gguf')}"\n`)
}, 600_000)

describe('llama.cpp own GGUFs', () => {
  it('-ngl candidates: NG_PERCENT_SET of block_count + 1 layers, then 0; the fixed list for a file without a block count', async () => {
    // the tiny model has 2 blocks: 3 offloadable layers
    expect((await nglCandidates(tiny, { NG_PERCENT_SET: [100, 90, 75, 60, 50, 40, 30, 20, 10] })).candidates).toEqual([3, 2, 1, 0])
    const notGguf = join(dir, 'not.gguf.txt')
    writeFileSync(notGguf, 'hello')
    const r = await nglCandidates(notGguf, { NG_PERCENT_SET: [100] })
    expect(r.candidates).toEqual(FALLBACK_NGL)
    expect(r.note).toMatch(/^cannot read .*not\.gguf\.txt .*set NGL_CANDIDATES to choose\)$/)
  })

  it('models.env goes through the env-file parser: quotes and export handled, a bad line named with file:line', () => {
    expect([...modelsEnvPaths(envFile).keys()]).toEqual(['envmodel'])
    const bad = join(dir, 'bad.env')
    writeFileSync(bad, 'LLAMACPP_PATH_x=/a b\n')
    expect(() => modelsEnvPaths(bad)).toThrow(EnvFileError)
  })

  it('benches every MODEL_DIR file and models.env entry but the excluded one, one llama-server per model', async () => {
    const run = startBench(['--project', 'llama.cpp', 'each-model'], {
      BENCH_ALLOW_CLIENT_BOUND: '1',
      BENCH_WARMUP: '0',
      BENCH_REQUESTS: '2',
      BENCH_NUM_PREDICT: '8',
      MODEL_DIR: dir,
      LLAMACPP_MODELS_ENV: envFile,
      EXCLUDE_MODELS: '^mine-b$',
    })
    const r = await run.child
    expectFlowPassed(r)
    const rows = csvRows(onlyRunDir(run.resultsDir))
    expect([...new Set(rows.map((x) => x.base_model))]).toEqual(['mine-a', 'envmodel'])
    // per model: the decode case, the sweep's base-as-is and its first candidate (EXHAUSTIVE=0 stops there)
    expect(rows.map((x) => `${x.base_model} ${x.variant_label} ${x.num_gpu}`)).toEqual([
      'mine-a base-as-is default',
      'mine-a base-as-is default',
      'mine-a optimized 3',
      'envmodel base-as-is default',
      'envmodel base-as-is default',
      'envmodel optimized 3',
    ])
    expect(r.all).toContain('-ngl candidates (2 blocks + output layer, NG_PERCENT_SET): 3 2 1 0')
  }, 900_000)
})
