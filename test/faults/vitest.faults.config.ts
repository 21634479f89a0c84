// The bench config a user's run would have (reporter, preflight, llama.cpp global setup), pointed at the
// fault specs under test/faults/specs. Run as `vitest bench --run --config test/faults/vitest.faults.config.ts`.
import { defineConfig } from 'vitest/config'
import { benchPreflight } from '../../fixtures/preflight-config.ts'
import { FuzeReporter } from '../../reporters/fuze-reporter.ts'
import { finishRun } from '../../reporters/finish.ts'

benchPreflight()

export default defineConfig({
  test: {
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    benchmark: { reporters: ['default', new FuzeReporter({ finish: finishRun })] },
    projects: [
      {
        extends: true,
        test: {
          // the name the llama.cpp global setup provisions for
          name: 'llama.cpp',
          benchmark: { include: ['test/faults/specs/**/*.bench.ts'] },
          globalSetup: ['fixtures/global-setup.ts'],
        },
      },
    ],
  },
})
