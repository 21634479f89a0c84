// The simulator as its own process — the one way the harness benches and the tests start it: the client under
// test gets its event loop (and a core) to itself, as it would against a real server. test/load/sim-ref.ts builds
// its ServerRef on this.
import { fileURLToPath } from 'node:url'
import { execa, type ResultPromise } from 'execa'
import { READY_PREFIX } from '../../sim/run.ts'
import type { SimConfig, SimTruth } from '../../sim/types.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const READY = new RegExp(`${READY_PREFIX}(http://\\S+)`)
const START_DEADLINE_MS = 30_000

export interface SimProcess {
  url: string
  truth(requestId: string): Promise<SimTruth | undefined>
  stop(): Promise<void>
}

export type SimSettings = Partial<Omit<SimConfig, 'faults' | 'models'>>

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

/** `{ ttftMs: 0, precompute: true }` → `--ttft-ms 0 --precompute` (boolean settings are bare flags); faults as `--fault-<key>`. */
export function simFlags(config: SimSettings, faults: Record<string, number | boolean> = {}): string[] {
  const args: string[] = []
  for (const [k, v] of Object.entries(config)) if (v !== false && v !== undefined) args.push(`--${kebab(k)}`, ...(v === true ? [] : [String(v)]))
  for (const [k, v] of Object.entries(faults)) if (v !== false) args.push(`--fault-${kebab(k)}`, ...(v === true ? [] : [String(v)]))
  return args
}

/** Start `sim/cli.ts` with these flags (e.g. ['--protocol', 'openai', '--precompute']) and wait until it listens. */
export async function startSimProcess(flags: string[]): Promise<SimProcess> {
  const child: ResultPromise = execa(process.execPath, ['--import', 'tsx', 'sim/cli.ts', '--port', '0', ...flags], {
    cwd: ROOT,
    buffer: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    reject: false,
  })
  let log = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sim did not report "${READY_PREFIX.trim()}" within ${START_DEADLINE_MS} ms:\n${log}`)), START_DEADLINE_MS)
    const onData = (b: Buffer) => {
      log += b.toString()
      const m = READY.exec(log)
      if (m) {
        clearTimeout(timer)
        child.stdout?.off('data', onData)
        child.stdout?.resume()
        resolve(m[1]!)
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (b: Buffer) => (log += b.toString()))
    void child.then((r) => {
      clearTimeout(timer)
      reject(new Error(`sim exited (code ${r.exitCode}) before listening, flags ${flags.join(' ')}:\n${log}`))
    })
  })
  return {
    url,
    async truth(requestId) {
      const res = await fetch(`${url}/_sim/truth/${encodeURIComponent(requestId)}`)
      return res.ok ? ((await res.json()) as SimTruth) : undefined
    },
    async stop() {
      child.kill('SIGTERM')
      await child
    },
  }
}
