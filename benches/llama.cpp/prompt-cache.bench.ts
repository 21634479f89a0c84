// llama.cpp × tiny-random: workloads whose point is the prompt cache. Multi-turn conversations resend their
// history (replies as the server returned them), so per-turn TTFT and timings/usage cached tokens show the reuse;
// shared-prefix groups show it across requests, and a Mooncake trace replay whose requests list the same leading
// hash_ids (64-token blocks here) shows the trace's own prefix reuse. One user per server slot keeps each
// conversation on its slot.
//   npx vitest bench --project llama.cpp prompt-cache
import { fileURLToPath } from 'node:url'
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { llmBench } from '../../helpers/index.ts'

const MOONCAKE = fileURLToPath(new URL('./traces/mooncake-shared-blocks.jsonl', import.meta.url))
const server = useServer({ stack: 'llama.cpp', model: 'tiny-random', gpu: 'A', parallel: 2 })

describe('tiny-random on llama.cpp (prompt cache)', () => {
  llmBench('multi-turn', server, { conversation: { turns: 5, conversations: 2, userTokens: 96 }, concurrency: 2, numPredict: 48, warmup: 1 })
  llmBench('shared prefix', server, {
    sharedPrefix: { groups: 2, prefixTokens: 512, suffixTokens: 32 },
    requests: 12,
    concurrency: 2,
    // 32, not fewer: with 8 tokens E2E p50 was ~17 ms, so the client-bound tail bound (10% of it, 1.7 ms) sat at the
    // few-ms preemptions a client sees beside a CPU llama-server on 2 cores, and a fresh run failed at 1.71 > 1.68
    numPredict: 32,
    warmup: 1,
  })
  // 8 requests 400 ms apart: [100, 101, …] three times, [100, …] once more, [105, …] three times; 96 output tokens
  // each (the trace's), as 32 gave an E2E p50 of 25-80 ms whose client-bound bound (10%) sat at this host's stalls
  llmBench('mooncake blocks', server, { trace: { file: MOONCAKE, blockTokens: 64 }, numPredict: 96, warmup: 1 })
})
