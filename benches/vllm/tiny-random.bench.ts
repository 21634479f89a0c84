// vllm × tiny-random: the HF-format Llama `fuze-bench setup --stack vllm` generates (1.7 M params, no download),
// served by the vLLM it installs (or yours: VLLM_BIN / PATH / VLLM_URL) on CPU or GPU. Completions and chat, prompts
// cut to exact lengths by the server's /tokenize, a shared prefix the prefix cache answers (usage's cached_tokens;
// vLLM's CPU backend caches whole blocks of 128 tokens, so the prefix spans three), and a capacity search.
//   npx fuze-bench setup --stack vllm && npx vitest bench --project vllm tiny-random
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { skipUnlessModelAvailable } from '../../fixtures/stacks/vllm.ts'
import { llmBench, prompts } from '../../helpers/index.ts'

const server = useServer({ stack: 'vllm', model: 'tiny-random' })
skipUnlessModelAvailable(server)

describe('tiny-random on vllm (exact prompts, prefix cache, capacity)', () => {
  // long enough outputs that the few-ms stalls of a client beside a CPU server stay far under 10% of E2E
  llmBench('decode short prompt', server, { prompt: prompts.short, numPredict: 128, requests: 3, warmup: 1 })
  llmBench('chat short prompt', server, {
    prompt: [{ role: 'user', content: prompts.short }],
    protocol: 'openai-chat',
    numPredict: 128,
    requests: 3,
    warmup: 1,
  })
  llmBench('prefill 256 exact', server, { input: { mean: 256 }, numPredict: 64, requests: 3, warmup: 1 })
  llmBench('shared prefix', server, { sharedPrefix: { groups: 1, prefixTokens: 400, suffixTokens: 32 }, requests: 5, numPredict: 64, warmup: 1 })
  llmBench('capacity', server, { prompt: prompts.short, numPredict: 64, capacity: { probeS: 5, budgetS: 90 }, slo: { e2eMs: 5000 } })
})
