// Ollama × tiny-random: the generated 9 MB model (fixtures/model), imported into the model store through
// /api/blobs + /api/create on first use (no download, no GPU), on each GPU slot: decode, chat, prefill, then the
// num_gpu sweep baking each candidate as a `…-ng<N>` tag with /api/create (one CSV row per variant).
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { llmBench, prompts, sweep } from '../../helpers/index.ts'

const server = useServer({ stack: 'ollama', model: 'tiny-random', gpu: 'each' })

for (const slot of server.slots) {
  describe(`tiny-random on ollama ${slot.slotName}`, () => {
    llmBench('decode short prompt', slot, { prompt: prompts.short })
    llmBench('chat short prompt', slot, { prompt: [{ role: 'user', content: prompts.short }], protocol: 'ollama-chat' })
    llmBench('prefill long prompt', slot, { prompt: prompts.tokens(1024), numPredict: 16 })
    sweep('num_gpu', slot, { prompt: prompts.short, bake: true })
  })
}
