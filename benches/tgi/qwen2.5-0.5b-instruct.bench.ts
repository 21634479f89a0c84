// TGI × Qwen/Qwen2.5-0.5B-Instruct, on each GPU slot: native /generate_stream.
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { llmBench, prompts } from '../../helpers/index.ts'

const MODEL = 'Qwen/Qwen2.5-0.5B-Instruct'
const server = useServer({ stack: 'tgi', model: MODEL, gpu: 'each' })

for (const slot of server.slots) {
  describe(`${MODEL} on tgi ${slot.slotName}`, () => {
    llmBench('decode short prompt', slot, { prompt: prompts.short })
    llmBench('prefill long prompt', slot, { prompt: prompts.tokens(1024), numPredict: 16 })
  })
}
