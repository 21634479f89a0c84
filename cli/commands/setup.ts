// `fuze-bench setup`: provision llama-server and the generated models ahead of time (CI does this first).
import { parseArgs } from 'node:util'
import { ensureModel } from '../../fixtures/model/ensure-model.ts'
import { ensureLlamaServer, terminalStatus } from '../../fixtures/provision.ts'
import { ensureChromium } from '../lib/chromium.ts'

export const help = `Build (or find) llama-server and generate the test models, so the first bench starts at once.
usage: fuze-bench setup [--models tiny,small] [--no-models] [--chromium]
  --chromium  also provide headless Chromium for the report tests (npm test passes it): CHROMIUM_PATH, else
              chromium on PATH, else Debian's chromium package via apt-get when run as root.
  Resolution order: LLAMACPP_BIN → llama-server on PATH → cached build → build from the llama.cpp
  source node-llama-cpp ships (first run only, ~8 min on 2 cores). Cache: $XDG_CACHE_HOME/fuze-bench
  (override with FUZE_CACHE_DIR). Prints the binary and model paths.`

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      models: { type: 'string', default: 'tiny,small' },
      'no-models': { type: 'boolean', default: false },
      chromium: { type: 'boolean', default: false },
    },
  })
  // Chromium first: it is the step that can fail for lack of rights, and should say so before an 8-minute build.
  if (values.chromium) console.log(`chromium: ${await ensureChromium((line) => console.log(line))}`)
  const bin = await ensureLlamaServer((line) => console.log(line), terminalStatus())
  console.log(`llama-server: ${bin.path} (${bin.source})`)
  if (!values['no-models']) {
    for (const preset of values.models
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (preset !== 'tiny' && preset !== 'small') {
        console.error(`fuze-bench setup: unknown model preset '${preset}'; use tiny and/or small (--models tiny,small).`)
        return 2
      }
      console.log(`model ${preset}-random: ${await ensureModel(preset)}`)
    }
  }
  return 0
}
