// Run the simulator as a process until SIGTERM/SIGINT: shared by sim/cli.ts and `fuze-bench sim`.
import { parseSimArgs } from './args.ts'
import { SimConfigError } from './config.ts'
import { startSim } from './server.ts'

export const READY_PREFIX = 'sim listening on '

/** Returns the exit code: 0 after a clean signal-driven close, 2 for bad flags/config, 1 if it cannot listen. */
export async function runSim(argv: string[]): Promise<number> {
  let config: ReturnType<typeof parseSimArgs>
  try {
    config = parseSimArgs(argv)
  } catch (err) {
    if (err instanceof SimConfigError) {
      console.error(err.message)
      return 2
    }
    throw err
  }
  let sim: Awaited<ReturnType<typeof startSim>>
  try {
    sim = await startSim(config, {
      onDie: () => {
        console.error(`sim: faults.dieAfterRequests=${config.faults.dieAfterRequests} reached; exiting with status 1 as configured.`)
        process.exit(1)
      },
    })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    console.error(
      `sim: could not listen on ${config.host}:${config.port} (${e.code ?? e.message}). Pick a free port with --port (0 = any free port) or another --host.`,
    )
    return 1
  }
  const handle = sim
  process.stdout.write(`${READY_PREFIX}${handle.url}\n`)
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop)
      process.off('SIGINT', stop)
      resolve()
    }
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
  })
  await handle.close()
  return 0
}
