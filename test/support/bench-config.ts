// The bench config a user's run would have (reporter, preflight, one worker, the stack's global setup), pointed at a
// folder of test specs: what test/faults and test/telemetry run as `vitest bench --run --config <their config>`.
import { defineConfig, type ViteUserConfig } from 'vitest/config'
import { benchPreflight } from '../../reporters/bench-preflight.ts'
import { FuzeReporter } from '../../reporters/fuze-reporter.ts'
import { finishRun } from '../../reporters/finish.ts'

/** `project`: the bench project name the specs run as (the llama.cpp global setup provisions for 'llama.cpp'). */
export function specsConfig(include: string, project: string): ViteUserConfig {
  benchPreflight()
  return defineConfig({
    test: {
      pool: 'forks',
      fileParallelism: false,
      maxWorkers: 1,
      benchmark: { reporters: ['default', new FuzeReporter({ finish: finishRun })] },
      projects: [{ extends: true, test: { name: project, benchmark: { include: [include] }, globalSetup: ['fixtures/global-setup.ts'] } }],
    },
  })
}
