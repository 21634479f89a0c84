// Triton × tiny-random: the generated Hugging Face Llama (fixtures/install/hf-model.ts) served by the tritonserver
// `fuze-bench setup --stack triton` installs (nvidia-pytriton's CPU build; a decoupled Python-backend model decodes
// it in numpy, one response per token, its token counts asked for), or by TRITON_URL / TRITON_MODEL_REPO when they
// have it. No download, no GPU.
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { MODEL_TOKEN_COUNTS, skipUnlessInRepository } from '../../fixtures/stacks/triton.ts'
import { llmBench, prompts } from '../../helpers/index.ts'

const server = useServer({ stack: 'triton', model: 'tiny-random', gpu: 'A' })
skipUnlessInRepository(server)

describe('tiny-random on triton', () => {
  llmBench('decode short prompt', server, { prompt: prompts.short, extra: MODEL_TOKEN_COUNTS })
  llmBench('prefill long prompt', server, { prompt: prompts.tokens(1024), numPredict: 16, extra: MODEL_TOKEN_COUNTS })
})
