// Triton × every model named in TRITON_MODELS (`name|alias`), from TRITON_MODEL_REPO, on each GPU slot:
// the generate extension's /generate_stream.
import { describe } from 'vitest'
import { ANY_MODEL, discoverModels, useServer } from '../../fixtures/index.ts'
import { llmBench, prompts, skipBench } from '../../helpers/index.ts'

const server = useServer({ stack: 'triton', model: ANY_MODEL, gpu: 'each' })
const { models, skip } = await discoverModels(server)
if (skip) skipBench('each TRITON_MODELS model', skip)

for (const slot of server.slots) {
  for (const model of models) {
    describe(`${model} on triton ${slot.slotName}`, () => {
      llmBench('decode short prompt', slot.forModel(model), { prompt: prompts.short })
      llmBench('prefill long prompt', slot.forModel(model), { prompt: prompts.tokens(1024), numPredict: 16 })
    })
  }
}
