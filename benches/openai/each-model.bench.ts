// Any OpenAI-compatible endpoint (OPENAI_URL, optional OPENAI_API_KEY as a bearer token) × every model its
// /v1/models lists (INCLUDE_MODELS / EXCLUDE_MODELS): streaming chat with usage. External only.
import { describe } from 'vitest'
import { ANY_MODEL, useServer } from '../../fixtures/index.ts'
import { eachServedModel, llmBench, prompts } from '../../helpers/index.ts'

const server = useServer({ stack: 'openai', model: ANY_MODEL })
await eachServedModel(server, (model, view) => {
  describe(`${model} on openai`, () => {
    llmBench('chat short prompt', view, { prompt: prompts.short })
  })
})
