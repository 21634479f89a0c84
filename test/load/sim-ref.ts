// A ServerRef over the simulator (its own process, started by benches/harness/sim-process.ts), so load cases run
// through the real client, sockets and summariser without the vitest bench fixture (which only runs in bench mode).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ServerRef } from '../../fixtures/server.ts'
import { sim as simStack } from '../../fixtures/stacks/sim.ts'
import { createClient, type ProtocolClient, type ProtocolName } from '../../helpers/protocols/index.ts'
import type { RowContext } from '../../helpers/types.ts'
import { type SimProcess, type SimSettings, simFlags, startSimProcess as spawnSim } from '../../benches/harness/sim-process.ts'
import type { SimTruth } from '../../sim/types.ts'

export interface SimRef {
  url: string
  server: ServerRef
  /** The simulator's ground truth for one request (GET /_sim/truth/<x-request-id>). */
  truth(requestId: string): Promise<SimTruth | undefined>
  /** GET /_sim/stats of the simulator process. */
  stats(): Promise<{ requests: number; active: number; maxActive: number }>
  close(): Promise<void>
}

/**
 * The simulator as its own process, as users run it: its pacing then does not share this test's event loop, so
 * the latencies the harness measures are the model's, not contention between the two.
 */
export function startSimProcess(config: SimSettings, faults: Record<string, number | boolean> = {}): Promise<SimProcess> {
  return spawnSim(simFlags(config, faults))
}

/** The row context of a simulated case (what bench.csv would say about the simulator and its model). */
export function simRowContext(o: Partial<RowContext> = {}): RowContext {
  return {
    endpoint: '127.0.0.1:0',
    unit: 'external',
    suffix: 'X',
    baseModel: 'sim-model',
    variantLabel: 'base-as-is',
    modelTag: 'sim-model',
    numGpu: 'default',
    numCtx: 4096,
    batch: 32,
    numPredict: 16,
    gpuLabel: 'cpu',
    gpuName: 'cpu',
    gpuUuid: '',
    gpuMemMib: '',
    ...o,
  }
}

/** Requests of these tests write requests.jsonl into a throwaway run folder. */
export function useTempRunDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fuze-load-'))
  process.env.FUZE_RUN_DIR = dir
  return dir
}

export async function simRef(
  config: SimSettings,
  protocol: ProtocolName = 'openai-completions',
  faults: Record<string, number | boolean> = {},
): Promise<SimRef> {
  const sim = await startSimProcess({ protocol: protocol.startsWith('openai') ? 'openai' : 'llamacpp', ...config }, faults)
  const clients = new Map<ProtocolName, ProtocolClient>()
  const row = simRowContext({ endpoint: new URL(sim.url).host })
  const server: ServerRef = {
    stack: simStack,
    model: 'sim-model',
    options: { stack: simStack, model: 'sim-model', protocol },
    skipReason: undefined,
    url: sim.url,
    unit: 'external',
    pin: { suffix: 'X', gpus: [], label: 'cpu', name: 'cpu', uuid: '', memMib: '' },
    resolvedModel: { name: 'sim-model', alias: 'sim-model', wireName: 'sim-model' },
    logPath: undefined,
    gpuLayers: undefined,
    client(p: ProtocolName = protocol) {
      let c = clients.get(p)
      if (!c) clients.set(p, (c = createClient(p, sim.url)))
      return c
    },
    rowContext: (o = {}) => ({ ...row, ...o }),
    restart: async () => undefined,
    start: async () => undefined,
    stop: async () => undefined,
  }
  return {
    url: sim.url,
    server,
    truth: (requestId) => sim.truth(requestId),
    stats: async () => (await (await fetch(`${sim.url}/_sim/stats`)).json()) as { requests: number; active: number; maxActive: number },
    async close() {
      for (const c of clients.values()) await c.close()
      await sim.stop()
    },
  }
}
