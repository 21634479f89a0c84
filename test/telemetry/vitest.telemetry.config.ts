// The bench config a user's run would have, pointed at the telemetry specs under test/telemetry/specs.
// Run as `vitest bench --run --config test/telemetry/vitest.telemetry.config.ts`.
import { specsConfig } from '../support/bench-config.ts'

export default specsConfig('test/telemetry/specs/**/*.bench.ts', 'vllm')
