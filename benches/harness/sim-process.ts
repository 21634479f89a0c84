// The simulator as its own process for the harness benches: the client under test gets the bench
// worker's event loop (and a core) to itself, as it would against a real server.
import { fileURLToPath } from 'node:url'
import { execa, type ResultPromise } from 'execa'
import type { SimTruth } from '../../sim/types.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const READY = /sim listening on (http:\/\/\S+)/
const START_DEADLINE_MS = 30_000

export interface SimProcess {
  url: string
  truth(requestId: string): Promise<SimTruth | undefined>
  stop(): Promise<void>
}

/** Start `sim/cli.ts` with these flags (e.g. ['--protocol', 'openai', '--precompute']) and wait until it listens. */
export async function startSimProcess(flags: string[]): Promise<SimProcess> {
  const child: ResultPromise = execa(process.execPath, ['--import', 'tsx', 'sim/cli.ts', '--port', '0', ...flags], {
    cwd: ROOT,
    buffer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    reject: false,
  })
  let log = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sim did not report "sim listening on" within ${START_DEADLINE_MS} ms:\n${log}`)), START_DEADLINE_MS)
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
