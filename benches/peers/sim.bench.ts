// fuze-bench beside the peer tools on the simulator. `truth`: TTFT 50 ms, ITL 10 ms, 16 streams — each tool's TTFT
// and ITL against what the simulator really emitted. `ingest-1/64/256`: the zero-delay simulator — the output tok/s
// each tool reads and the CPU it spends (all its processes). One fresh simulator process per tool and scenario, so
// its request log holds that tool's requests only. Rows go to peers.json in the run folder; raw output of each tool
// under peers/<tool>/<scenario>/. PEERS_SCENARIOS / PEERS_TOOLS (comma lists) pick a subset.
import { join } from 'node:path'
import { afterAll, beforeAll, bench, describe } from 'vitest'
import { runDir } from '../../helpers/run-dir.ts'
import { type SimProcess, type SimSettings, simFlags, startSimProcess } from '../harness/sim-process.ts'
import { ZERO_DELAY } from '../harness/kit.ts'
import { runFuzeBench } from './fuze-bench.ts'
import { failedRow, load1, type PeerRow, rowOf, SCENARIOS, type Scenario, simTruths, table, truthDists, warmSim, writePeersJson } from './kit.ts'
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

const ONCE = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 }

for (const id of picked('PEERS_SCENARIOS', Object.keys(SCENARIOS)).filter((id) => id !== 'llama-server')) {
  const s: Scenario = SCENARIOS[id]!
  const settings = s.truth ? TRUTH_SIM : ZERO_DELAY
  describe(s.id, () => {
    for (const tool of picked('PEERS_TOOLS', ['fuze-bench', 'vllm-bench', 'aiperf', 'guidellm', 'inference-perf'])) {
      bench(
        tool,
        async () => {
          const runner = tool === 'fuze-bench' ? undefined : ctx.runners.get(tool)
          if (tool !== 'fuze-bench' && !runner) return void console.log(`peers: ${tool} is not installed here; ${s.id} skipped for it`)
          let sim: SimProcess | undefined
          try {
            sim = await startSimProcess(['--models', SIM_MODEL, ...simFlags(settings)])
            await warmSim(sim.url, s, SIM_MODEL)
            const outDir = join(runDir(), 'peers', tool, s.id)
            const run = runner
              ? await runner.run(s, sim.url, outDir)
              : await runFuzeBench(ctx.python, s, sim.url, outDir, { project: 'vllm', urlKnob: 'VLLM_URL' })
            const truth = s.truth ? truthDists(await simTruths(sim.url)) : undefined
            const row = rowOf(s, run, truth)
            rows.push(row)
            console.log(`peers: ${s.id} ${tool}: ${row.ok}/${row.requests} ok, ${Math.round(row.outputTokPerSec ?? 0)} out tok/s, load ${load1()}`)
          } catch (e) {
            rows.push(failedRow(s, tool, runner?.version ?? '', e))
            throw e
          } finally {
            await sim?.stop()
          }
        },
        ONCE,
      )
    }
  })
}
