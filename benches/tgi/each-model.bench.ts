// TGI × the model a running server serves (TGI_URL/info model_id; INCLUDE_MODELS / EXCLUDE_MODELS): nothing else
// to set. Native /generate_stream. Without TGI_URL it skips with one line.
import { describe } from 'vitest'
import { ANY_MODEL, useServer } from '../../fixtures/index.ts'
import { eachServedModel, llmBench, prompts } from '../../helpers/index.ts'

const server = useServer({ stack: 'tgi', model: ANY_MODEL })
await eachServedModel(server, (model, view) => {
  describe(`${model} on tgi`, () => {
    llmBench('decode short prompt', view, { prompt: prompts.short })
  })
})
