// llama.cpp × tiny-random: the generated 9 MB model (no download, no GPU). Fast enough for CI smoke runs.
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { llmBench, prompts } from '../../helpers/index.ts'

const server = useServer({ stack: 'llama.cpp', model: 'tiny-random', gpu: 'A' })

describe('tiny-random on llama.cpp', () => {
  llmBench('decode short prompt', server, { prompt: prompts.short })
  llmBench('prefill long prompt', server, { prompt: prompts.tokens(1024), numPredict: 16 })
})
