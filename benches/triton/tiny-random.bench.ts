// Triton × tiny-random: the generated Hugging Face Llama (fixtures/install/hf-model.ts) served by the tritonserver
// `fuze-bench setup --stack triton` installs (nvidia-pytriton's CPU build; a decoupled Python-backend model decodes
// it in numpy, one response per token), or by TRITON_URL / TRITON_MODEL_REPO when they have it. No download, no GPU.
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { skipUnlessInRepository } from '../../fixtures/stacks/triton.ts'
import { llmBench, prompts } from '../../helpers/index.ts'

const server = useServer({ stack: 'triton', model: 'tiny-random', gpu: 'A' })
skipUnlessInRepository(server)

// The model's own token counts, asked for as Triton's vLLM backend takes them: counting text events instead would
// miss each token whose response holds only part of a UTF-8 character (an empty text_output).
const counts = { return_num_input_tokens: true, return_num_output_tokens: true }

describe('tiny-random on triton', () => {
  llmBench('decode short prompt', server, { prompt: prompts.short, extra: counts })
  llmBench('prefill long prompt', server, { prompt: prompts.tokens(1024), numPredict: 16, extra: counts })
})
