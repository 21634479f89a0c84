// fuze-bench beside the peer tools on a real server: llama-server with the generated tiny-random model (CPU), 4
// parallel slots, each tool at 4 streams with the same prompt and output lengths (ignore_eos). No truth here: the
// point is where the tools disagree about the same server. fuze-bench runs as a user would against an
// OpenAI-compatible server (VLLM_URL=… npx vitest bench --project vllm). Rows go to peers.json beside sim.bench.ts's.
import { join } from 'node:path'
import { afterAll, beforeAll, bench, describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { runDir } from '../../helpers/run-dir.ts'
import { runFuzeBench } from './fuze-bench.ts'
import { failedRow, load1, type PeerRow, rowOf, SCENARIOS, table, writePeersJson } from './kit.ts'
import { type PeerContext, peerRunners, picked } from './tools.ts'

const s = SCENARIOS['llama-server']!
const wanted = picked('PEERS_SCENARIOS', Object.keys(SCENARIOS)).includes(s.id)
// started only when the scenario is picked (a first run builds llama-server)
const server = wanted ? useServer({ stack: 'llama.cpp', model: 'tiny-random', parallel: s.streams }) : undefined
const rows: PeerRow[] = []
let ctx: PeerContext
let model = ''

beforeAll(async () => {
  if (!server) return
  ctx = await peerRunners()
  for (const line of ctx.notes) console.log(`peers: ${line}`)
  const listed = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: { id: string }[] }
  model = listed.data[0]?.id ?? 'tiny-random'
}, 120_000)

afterAll(() => {
  if (rows.length === 0) return
  const path = writePeersJson(rows)
  console.log(`\n${table(rows)}\n\npeers: ${path}`)
})

const ONCE = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 }

describe.skipIf(!server)(s.id, () => {
  for (const tool of picked('PEERS_TOOLS', ['fuze-bench', 'vllm-bench', 'aiperf', 'guidellm', 'inference-perf'])) {
    bench(
      tool,
      async () => {
        const runner = tool === 'fuze-bench' ? undefined : ctx.runners.get(tool)
        if (tool !== 'fuze-bench' && !runner) return void console.log(`peers: ${tool} is not installed here; ${s.id} skipped for it`)
        const outDir = join(runDir(), 'peers', tool, s.id)
        const url = server!.url
        const run = await (runner
          ? runner.run(s, url, outDir, model)
          : // the vllm project: /v1/completions with ignore_eos, like the peers. (`LLAMACPP_URL=… --project llama.cpp`
            // each-model.bench.ts fails today: it resolves a GGUF for the any-model placeholder instead of listing the server's models)
            runFuzeBench(ctx.python, s, url, outDir, { project: 'vllm', urlKnob: 'VLLM_URL' })
        ).catch((e: unknown) => {
          rows.push(failedRow(s, tool, runner?.version ?? '', e))
          throw e
        })
        const row = rowOf(s, run)
        rows.push(row)
        console.log(`peers: ${s.id} ${tool}: ${row.ok}/${row.requests} ok, ${Math.round(row.outputTokPerSec ?? 0)} out tok/s, load ${load1()}`)
      },
      ONCE,
    )
  }
})
