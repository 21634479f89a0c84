// Ollama × every model the daemon lists (INCLUDE_MODELS / EXCLUDE_MODELS; baked variants left out), on each GPU
// slot (A then B with two GPUs; MULTI with OLLAMA_SCHED_SPREAD=1): decode, then the num_gpu sweep.
import { describe } from 'vitest'
import { ANY_MODEL, useServer } from '../../fixtures/index.ts'
import { eachServedModel, llmBench, prompts, sweep } from '../../helpers/index.ts'

const server = useServer({ stack: 'ollama', model: ANY_MODEL, gpu: 'each' })
await eachServedModel(server, (model, view, slot) => {
  describe(`${model} on ollama ${slot}`, () => {
    llmBench('decode short prompt', view, { prompt: prompts.short })
    sweep('num_gpu', view)
  })
})
