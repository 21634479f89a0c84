// The protocol simulator: `startSim()` in-process, `fuze-bench sim` / `tsx sim/cli.ts` as a process.
export type { SimConfig, SimFaults, SimHandle, SimProcessHooks, SimProtocol, SimRequestLogEntry, SimStats, SimTruth } from './types.ts'
export { startSim } from './server.ts'
export { CONFIG_KEYS, FAULT_KEYS, PROTOCOLS, SimConfigError, resolveConfig } from './config.ts'
export { parseSimArgs, simHelp } from './args.ts'
export { runSim, READY_PREFIX } from './run.ts'
export { tokenize } from './tokenizer.ts'
