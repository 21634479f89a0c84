// Triton × every model named in TRITON_MODELS (`name|alias`), from TRITON_MODEL_REPO, on each GPU slot — or, with
// TRITON_URL and no TRITON_MODELS, every ready model of that server's repository index, or the repository
// `fuze-bench setup --stack triton` installed when it runs the installed tritonserver: /generate_stream, with the
// model's own token counts where it gives them.
import { describe } from 'vitest'
import { ANY_MODEL, useServer } from '../../fixtures/index.ts'
import { MODEL_TOKEN_COUNTS } from '../../fixtures/stacks/triton.ts'
import { eachServedModel, llmBench, prompts } from '../../helpers/index.ts'

const server = useServer({ stack: 'triton', model: ANY_MODEL, gpu: 'each' })
await eachServedModel(server, (model, view, slot) => {
  describe(`${model} on triton ${slot}`, () => {
    llmBench('decode short prompt', view, { prompt: prompts.short, extra: MODEL_TOKEN_COUNTS })
    llmBench('prefill long prompt', view, { prompt: prompts.tokens(1024), numPredict: 16, extra: MODEL_TOKEN_COUNTS })
  })
})
