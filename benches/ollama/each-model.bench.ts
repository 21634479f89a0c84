// Ollama × every model the daemon lists (INCLUDE_MODELS / EXCLUDE_MODELS; baked variants left out), on each GPU
// slot (A then B with two GPUs; MULTI with OLLAMA_SCHED_SPREAD=1): decode, then the num_gpu sweep.
import { describe } from 'vitest'
import { ANY_MODEL, discoverModels, useServer } from '../../fixtures/index.ts'
import { llmBench, prompts, skipBench, sweep } from '../../helpers/index.ts'

const server = useServer({ stack: 'ollama', model: ANY_MODEL, gpu: 'each' })
const { models, skip } = await discoverModels(server)
if (skip) skipBench('each discovered model', skip)

for (const slot of server.slots) {
  for (const model of models) {
    describe(`${model} on ollama ${slot.slotName}`, () => {
      llmBench('decode short prompt', slot.forModel(model), { prompt: prompts.short })
      sweep('num_gpu', slot.forModel(model))
    })
  }
}
