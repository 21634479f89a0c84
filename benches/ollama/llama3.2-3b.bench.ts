// Ollama × one named model (pulled into the model store if missing), on each GPU slot: decode, chat, prefill.
// Skipped with one line when the model is not in the store and its registry cannot be reached (an offline machine).
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { skipUnlessPullable } from '../../fixtures/stacks/ollama.ts'
import { llmBench, prompts } from '../../helpers/index.ts'

const server = useServer({ stack: 'ollama', model: 'llama3.2:3b', gpu: 'each' })
skipUnlessPullable(server)

for (const slot of server.slots) {
  describe(`llama3.2:3b on ollama ${slot.slotName}`, () => {
    llmBench('decode short prompt', slot, { prompt: prompts.short })
    llmBench('chat short prompt', slot, { prompt: [{ role: 'user', content: prompts.short }], protocol: 'ollama-chat' })
    llmBench('prefill long prompt', slot, { prompt: prompts.tokens(1024), numPredict: 16 })
  })
}
