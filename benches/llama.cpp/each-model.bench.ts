// llama.cpp × your own GGUFs: every *.gguf in MODEL_DIR and every LLAMACPP_PATH_<alias> of models.env
// (LLAMACPP_MODELS_ENV) or the environment (INCLUDE_MODELS / EXCLUDE_MODELS), one llama-server per model in turn:
// decode, then the -ngl sweep (candidates from the GGUF's block count unless NGL_CANDIDATES is set).
// With LLAMACPP_URL: the models that server lists. Without any: one skip line.
import { describe } from 'vitest'
import { ANY_MODEL, useServer } from '../../fixtures/index.ts'
import { eachServedModel, llmBench, prompts, sweep } from '../../helpers/index.ts'

const server = useServer({ stack: 'llama.cpp', model: ANY_MODEL })
await eachServedModel(server, (model, view) => {
  describe(`${model} on llama.cpp`, () => {
    llmBench('decode short prompt', view, { prompt: prompts.short })
    sweep('ngl', view, { prompt: prompts.short })
  })
})
