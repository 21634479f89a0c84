// `fuze-bench sim`: the protocol simulator as a standalone server (see sim/README.md).
import { simHelp } from '../../sim/args.ts'
import { runSim } from '../../sim/run.ts'

export const help: string = simHelp()

export function run(args: string[]): Promise<number> {
  return runSim(args)
}
