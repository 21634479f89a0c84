// `fuze-bench setup`: provision llama-server and the generated models ahead of time (CI does this first).
import { parseArgs } from 'node:util'
import { ensureModel } from '../../fixtures/model/ensure-model.ts'
import { ensureLlamaServer } from '../../fixtures/provision.ts'

export const help = `Build (or find) llama-server and generate the test models, so the first bench starts at once.
usage: fuze-bench setup [--models tiny,small] [--no-models]
  Resolution order: LLAMACPP_BIN → llama-server on PATH → cached build → build from the llama.cpp
  source node-llama-cpp ships (first run only, ~8 min on 2 cores). Cache: $XDG_CACHE_HOME/fuze-bench
  (override with FUZE_CACHE_DIR). Prints the binary and model paths.`

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { models: { type: 'string', default: 'tiny,small' }, 'no-models': { type: 'boolean', default: false } } })
  const bin = await ensureLlamaServer((line) => console.log(line))
  console.log(`llama-server: ${bin.path} (${bin.source})`)
  if (!values['no-models']) {
    for (const preset of values.models.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (preset !== 'tiny' && preset !== 'small') {
        console.error(`fuze-bench setup: unknown model preset '${preset}'; use tiny and/or small (--models tiny,small).`)
        return 2
      }
      console.log(`model ${preset}-random: ${await ensureModel(preset)}`)
    }
  }
  return 0
}
