// sglang × Qwen/Qwen2.5-0.5B-Instruct (map another alias with VLLM_MODEL_<alias>), on each GPU slot:
// streaming /v1/completions and /v1/chat/completions with usage.
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { llmBench, prompts } from '../../helpers/index.ts'

const MODEL = 'Qwen/Qwen2.5-0.5B-Instruct'
const server = useServer({ stack: 'sglang', model: MODEL, gpu: 'each' })

for (const slot of server.slots) {
  describe(`${MODEL} on sglang ${slot.slotName}`, () => {
    llmBench('decode short prompt', slot, { prompt: prompts.short })
    llmBench('chat short prompt', slot, { prompt: [{ role: 'user', content: prompts.short }], protocol: 'openai-chat' })
    llmBench('prefill long prompt', slot, { prompt: prompts.tokens(1024), numPredict: 16 })
  })
}
