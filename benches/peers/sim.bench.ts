// fuze-bench beside the peer tools on the simulator. `truth`: TTFT 50 ms, ITL 10 ms, 16 streams — each tool's TTFT
// and ITL against what the simulator really emitted. `ingest-1/64/256`: the zero-delay simulator — the output tok/s
// each tool reads and the CPU it spends (all its processes). One fresh simulator process per tool and scenario, so
// its request log holds that tool's requests only. Rows go to peers.json in the run folder; raw output of each tool
// under peers/<tool>/<scenario>/. PEERS_SCENARIOS / PEERS_TOOLS (comma lists) pick a subset.
import { afterAll, beforeAll, describe } from 'vitest'
import { type SimProcess, type SimSettings, simFlags, startSimProcess } from '../harness/sim-process.ts'
import { ZERO_DELAY } from '../harness/kit.ts'
import { benchEachTool } from './each-tool.ts'
import { runFuzeBench } from './fuze-bench.ts'
import { type PeerRow, SCENARIOS, type Scenario, simTruths, table, truthDists, warmSim, writePeersJson } from './kit.ts'
import { peerRunners, type PeerContext, picked, SIM_MODEL } from './tools.ts'

const TRUTH_SIM: SimSettings = { ttftMs: 50, itlMs: 10, itlJitterMs: 0, perPromptTokenMs: 0, maxSeqs: 1024, maxQueue: 4096 }

const rows: PeerRow[] = []
let ctx: PeerContext

beforeAll(async () => {
  ctx = await peerRunners()
  for (const line of ctx.notes) console.log(`peers: ${line}`)
}, 120_000)

afterAll(() => {
  if (rows.length === 0) return
  const path = writePeersJson(rows)
  console.log(`\n${table(rows)}\n\npeers: ${path}`)
})

for (const id of picked('PEERS_SCENARIOS', Object.keys(SCENARIOS)).filter((id) => !SCENARIOS[id]?.server)) {
  const s: Scenario = SCENARIOS[id]!
  const settings = s.truth ? TRUTH_SIM : ZERO_DELAY
  describe(s.id, () => {
    benchEachTool(
      s,
      rows,
      () => ctx,
      async ({ runner, ctx, outDir }) => {
        let sim: SimProcess | undefined
        try {
          sim = await startSimProcess(['--models', SIM_MODEL, ...simFlags(settings)])
          await warmSim(sim.url, s, SIM_MODEL)
          const run = runner
            ? await runner.run(s, sim.url, outDir)
            : await runFuzeBench(ctx.python, s, sim.url, outDir, { project: 'vllm', urlKnob: 'VLLM_URL' })
          return { run, truth: s.truth ? truthDists(await simTruths(sim.url)) : undefined }
        } finally {
          await sim?.stop()
        }
      },
    )
  })
}
