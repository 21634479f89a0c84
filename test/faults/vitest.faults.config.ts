// The bench config a user's run would have, pointed at the fault specs under test/faults/specs, as the llama.cpp
// project (its global setup provisions llama-server). Run as `vitest bench --run --config test/faults/vitest.faults.config.ts`.
import { specsConfig } from '../support/bench-config.ts'

export default specsConfig('test/faults/specs/**/*.bench.ts', 'llama.cpp')
