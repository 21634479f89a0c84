// One vitest bench per peer tool (and fuze-bench) on one scenario: the tools PEERS_TOOLS picks, a line for one not
// installed here, the row (or a failed row) into the file's rows. Each scenario file says only how a tool is run.
import { join } from 'node:path'
import { bench } from 'vitest'
import { runDir } from '../../helpers/run-dir.ts'
import { failedRow, load1, type PeerRow, rowOf, type Scenario, type ToolRun, type TruthDists } from './kit.ts'
import { type PeerContext, type PeerRunner, picked } from './tools.ts'

export const TOOLS = ['fuze-bench', 'vllm-bench', 'aiperf', 'guidellm', 'inference-perf'] as const

const ONCE = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 }

export interface ToolTurn {
  tool: string
  /** undefined: fuze-bench itself */
  runner: PeerRunner | undefined
  ctx: PeerContext
  /** peers/<tool>/<scenario>/ in the run folder: the tool's raw output */
  outDir: string
}

export function benchEachTool(
  s: Scenario,
  rows: PeerRow[],
  context: () => PeerContext,
  measure: (turn: ToolTurn) => Promise<{ run: ToolRun; truth?: TruthDists }>,
): void {
  for (const tool of picked('PEERS_TOOLS', TOOLS)) {
    bench(
      tool,
      async () => {
        const ctx = context()
        const runner = tool === 'fuze-bench' ? undefined : ctx.runners.get(tool)
        if (tool !== 'fuze-bench' && !runner) return void console.log(`peers: ${tool} is not installed here; ${s.id} skipped for it`)
        let row: PeerRow
        try {
          const { run, truth } = await measure({ tool, runner, ctx, outDir: join(runDir(), 'peers', tool, s.id) })
          row = rowOf(s, run, truth)
        } catch (e) {
          rows.push(failedRow(s, tool, runner?.version ?? '', e))
          throw e
        }
        rows.push(row)
        console.log(`peers: ${s.id} ${tool}: ${row.ok}/${row.requests} ok, ${Math.round(row.outputTokPerSec ?? 0)} out tok/s, load ${load1()}`)
      },
      ONCE,
    )
  }
}
