// llama.cpp × tiny-random: workloads whose point is the prompt cache. Multi-turn conversations resend their
// history (replies as the server returned them), so per-turn TTFT and timings/usage cached tokens show the reuse;
// shared-prefix groups show it across requests. One user per server slot keeps each conversation on its slot.
//   npx vitest bench --project llama.cpp prompt-cache
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { llmBench } from '../../helpers/index.ts'

const server = useServer({ stack: 'llama.cpp', model: 'tiny-random', gpu: 'A', parallel: 2 })

describe('tiny-random on llama.cpp (prompt cache)', () => {
  llmBench('multi-turn', server, { conversation: { turns: 5, conversations: 2, userTokens: 96 }, concurrency: 2, numPredict: 48, warmup: 1 })
  llmBench('shared prefix', server, {
    sharedPrefix: { groups: 2, prefixTokens: 512, suffixTokens: 32 },
    requests: 12,
    concurrency: 2,
    numPredict: 8,
    warmup: 1,
  })
})
