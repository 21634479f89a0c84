// Workloads against the simulator: a 100-request trace replayed at its timestamps (summary.workload.trace: how
// late each request left against its scheduled time), shared-prefix groups and multi-turn conversations.
//   npx vitest bench --project sim -t workloads
import { fileURLToPath } from 'node:url'
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { llmBench } from '../../helpers/index.ts'

const TRACE = fileURLToPath(new URL('./traces/sample-100.jsonl', import.meta.url))
const server = useServer({ stack: 'sim', model: 'sim-model', protocol: 'openai-chat', args: ['--ttft-ms', '20', '--itl-ms', '2'] })

describe('workloads on sim', () => {
  llmBench('trace replay', server, { trace: TRACE, warmup: 1 })
  llmBench('shared prefix', server, { sharedPrefix: { groups: 4, prefixTokens: 256, suffixTokens: 32 }, requests: 16, concurrency: 4, numPredict: 8 })
  llmBench('multi-turn', server, { conversation: { turns: 4, conversations: 4, userTokens: 32 }, concurrency: 2, numPredict: 16 })
})
