// Ollama × tiny-random: the generated 9 MB model (fixtures/model), imported into the model store through
// /api/blobs + /api/create on first use (no download, no GPU), on each GPU slot: decode, chat, prefill, then the
// num_gpu sweep baking each candidate as a `…-ng<N>` tag with /api/create (one CSV row per variant).
// BENCH_NUM_PREDICT (128) tokens, not more: the random model at temperature 0 drifts into runs of empty or repeated
// pieces after ~250-400 tokens, and Ollama (llm/server.go) silently ends a stream whose trimmed token text repeats
// more than 30 times — HTTP 200, no "done" line (1 in 10 requests at 512 tokens). Up to 128 every request decodes
// exactly num_predict tokens (the real test checks the server's eval_count).
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
