// fuze-bench beside the peer tools on a real server the bench starts (the generated tiny-random model, CPU here, 4
// parallel sequences), each tool at 4 streams with the same prompt and output lengths (ignore_eos). No truth here: the
// point is where the tools disagree about the same server. fuze-bench runs as a user would against an
// OpenAI-compatible server (VLLM_URL=… npx vitest bench --project vllm). Rows go to peers.json beside sim.bench.ts's.
// One spec file per server (llama-server.bench.ts, vllm.bench.ts), so `-t`/a file filter picks one.
import { afterAll, beforeAll, describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { skipUnlessModelAvailable } from '../../fixtures/stacks/vllm.ts'
import { benchEachTool } from './each-tool.ts'
import { runFuzeBench } from './fuze-bench.ts'
import { type PeerRow, SCENARIOS, table, writePeersJson } from './kit.ts'
import { type PeerContext, peerRunners, picked } from './tools.ts'

/** The scenario `id` (one with a `server`) for every installed peer tool and fuze-bench, when PEERS_SCENARIOS picks it. */
export function realServerScenario(id: string): void {
  const s = SCENARIOS[id]!
  if (!s.server) throw new Error(`peers: scenario ${id} names no real server`)
  const wanted = picked('PEERS_SCENARIOS', Object.keys(SCENARIOS)).includes(s.id)
  // started only when the scenario is picked (a first run builds llama-server; vLLM takes minutes to load)
  const server = wanted ? useServer({ stack: s.server.stack, model: s.server.model, parallel: s.streams }) : undefined
  if (server && s.server.stack === 'vllm') skipUnlessModelAvailable(server)
  const skip = server?.skipReason
  if (skip) console.log(`peers: ${s.id} skipped: ${skip}`)
  const rows: PeerRow[] = []
  let ctx: PeerContext
  let model = ''

  beforeAll(async () => {
    if (!server || skip) return
    ctx = await peerRunners()
    for (const line of ctx.notes) console.log(`peers: ${line}`)
    // the name the server lists (vLLM lists the folder it loaded), which every tool must send
    const listed = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: { id: string }[] }
    model = listed.data[0]?.id ?? s.server!.model
  }, 120_000)

  afterAll(() => {
    if (rows.length === 0) return
    const path = writePeersJson(rows)
    console.log(`\n${table(rows)}\n\npeers: ${path}`)
  })

  describe.skipIf(!server || skip !== undefined)(s.id, () => {
    benchEachTool(
      s,
      rows,
      () => ctx,
      async ({ runner, ctx, outDir }) => ({
        run: runner
          ? await runner.run(s, server!.url, outDir, model)
          : // the vllm project: /v1/completions with ignore_eos, like the peers. (`LLAMACPP_URL=… --project llama.cpp`
            // each-model.bench.ts fails today: it resolves a GGUF for the any-model placeholder instead of listing the server's models)
            await runFuzeBench(ctx.python, s, server!.url, outDir, { project: 'vllm', urlKnob: 'VLLM_URL' }),
      }),
    )
  })
}
