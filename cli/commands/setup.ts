// `fuze-bench setup`: provision llama-server and the generated models ahead of time (CI does this first).
import { parseArgs } from 'node:util'
import { ensureModel } from '../../fixtures/model/ensure-model.ts'
import { ensureLlamaServer, terminalStatus } from '../../fixtures/provision.ts'
import { ensureChromium } from '../lib/chromium.ts'
import { INSTALLABLE, INSTALLABLE_STACKS, isInstallable, type InstallableStack } from '../../fixtures/install/index.ts'

export const help = `Build (or find) llama-server and generate the test models, so the first bench starts at once.
usage: fuze-bench setup [--models tiny,small] [--no-models] [--chromium] [--stack ${INSTALLABLE_STACKS.join('|')}|all]... [--peers]
  --stack     also install a real server of that stack into the cache, with the models its specs use
              (repeatable; all = ${INSTALLABLE_STACKS.join(', ')}). Your own *_BIN or *_URL always wins over it.
  --peers     also install the peer benchmark tools (aiperf, guidellm, inference-perf; pinned, in venvs under the
              cache) that \`npx vitest bench --project peers\` runs beside fuze-bench.
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
      stack: { type: 'string', multiple: true, default: [] },
      peers: { type: 'boolean', default: false },
    },
  })
  const stacks: InstallableStack[] = []
  for (const name of values.stack
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean)) {
    if (name === 'all') stacks.push(...INSTALLABLE_STACKS)
    else if (isInstallable(name)) stacks.push(name)
    else {
      console.error(
        `fuze-bench setup: no installer for stack '${name}'; installable here: ${INSTALLABLE_STACKS.join(', ')} (or all). Other stacks run against your own server (<STACK>_URL) or binary (<STACK>_BIN).`,
      )
      return 2
    }
  }
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
  for (const name of [...new Set(stacks)]) {
    const installer = await INSTALLABLE[name]()
    for (const line of await installer.install((line) => console.log(`${name}: ${line}`))) console.log(`${name}: ${line}`)
  }
  if (values.peers) {
    const peers = await import('../../fixtures/install/peers.ts')
    for (const line of await peers.install((line) => console.log(`peers: ${line}`))) console.log(`peers: ${line}`)
  }
  return 0
}
