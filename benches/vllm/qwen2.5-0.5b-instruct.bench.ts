// vllm × Qwen/Qwen2.5-0.5B-Instruct (map another alias with VLLM_MODEL_<alias>), on each GPU slot:
// streaming /v1/completions and /v1/chat/completions with usage. Skipped (one line) when vLLM could not load the model
// here: not in the Hugging Face cache and the hub unreachable or HF_HUB_OFFLINE set.
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { skipUnlessModelAvailable } from '../../fixtures/stacks/vllm.ts'
import { llmBench, prompts } from '../../helpers/index.ts'

const MODEL = 'Qwen/Qwen2.5-0.5B-Instruct'
const server = useServer({ stack: 'vllm', model: MODEL, gpu: 'each' })
skipUnlessModelAvailable(server)

for (const slot of server.slots) {
  describe(`${MODEL} on vllm ${slot.slotName}`, () => {
    llmBench('decode short prompt', slot, { prompt: prompts.short })
    llmBench('chat short prompt', slot, { prompt: [{ role: 'user', content: prompts.short }], protocol: 'openai-chat' })
    llmBench('prefill long prompt', slot, { prompt: prompts.tokens(1024), numPredict: 16 })
  })
}
