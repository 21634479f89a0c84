// Ollama × tiny-random: the generated 9 MB model (fixtures/model), imported into the model store through
// /api/blobs + /api/create on first use (no download, no GPU), on each GPU slot: decode, chat, prefill, then the
// num_gpu sweep baking each candidate as a `…-ng<N>` tag with /api/create (one CSV row per variant).
// 512 output tokens, not BENCH_NUM_PREDICT's 128: the model decodes ~1,500 tok/s on 2 CPU cores, so 128 tokens end
// in ~150 ms and the client-bound bound (10% of E2E p50, ~15 ms) sat at the preemption noise of a client sharing
// 2 cores with `ollama serve` and its runner (3 of 4 runs failed it on a loaded machine). The random model never
// emits EOS in practice, so every request decodes all 512 (the real test checks eval_count).
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { llmBench, prompts, sweep } from '../../helpers/index.ts'

const server = useServer({ stack: 'ollama', model: 'tiny-random', gpu: 'each' })
const numPredict = 512

for (const slot of server.slots) {
  describe(`tiny-random on ollama ${slot.slotName}`, () => {
    llmBench('decode short prompt', slot, { prompt: prompts.short, numPredict })
    llmBench('chat short prompt', slot, { prompt: [{ role: 'user', content: prompts.short }], protocol: 'ollama-chat', numPredict })
    llmBench('prefill long prompt', slot, { prompt: prompts.tokens(1024), numPredict: 16 })
    sweep('num_gpu', slot, { prompt: prompts.short, numPredict, bake: true })
  })
}
