// Any OpenAI-compatible endpoint (OPENAI_URL, optional OPENAI_API_KEY as a bearer token) × every model its
// /v1/models lists (INCLUDE_MODELS / EXCLUDE_MODELS): streaming chat with usage. External only.
import { describe } from 'vitest'
import { ANY_MODEL, discoverModels, useServer } from '../../fixtures/index.ts'
import { llmBench, prompts, skipBench } from '../../helpers/index.ts'

const server = useServer({ stack: 'openai', model: ANY_MODEL })
const { models, skip } = await discoverModels(server)
if (skip) skipBench('each served model', skip)

for (const model of models) {
  describe(`${model} on openai`, () => {
    llmBench('chat short prompt', server.forModel(model), { prompt: prompts.short })
  })
}
