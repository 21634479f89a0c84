// Standalone entry: `npx tsx sim/cli.ts --protocol openai --port 0 [...]` (same flags as `fuze-bench sim`).
import { runSim } from './run.ts'

process.exitCode = await runSim(process.argv.slice(2))
