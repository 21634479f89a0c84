// vllm × every model a running server lists at VLLM_URL/v1/models (INCLUDE_MODELS / EXCLUDE_MODELS): nothing else to
// set. Streaming /v1/completions and /v1/chat/completions with usage. Without VLLM_URL: each model `fuze-bench setup
// --stack vllm` generated, one started vllm each; with none of them, it skips with one line.
import { describe } from 'vitest'
import { ANY_MODEL, useServer } from '../../fixtures/index.ts'
import { eachServedModel, llmBench, prompts } from '../../helpers/index.ts'

const server = useServer({ stack: 'vllm', model: ANY_MODEL })
await eachServedModel(server, (model, view) => {
  describe(`${model} on vllm`, () => {
    llmBench('decode short prompt', view, { prompt: prompts.short })
    llmBench('chat short prompt', view, { prompt: [{ role: 'user', content: prompts.short }], protocol: 'openai-chat' })
  })
})
