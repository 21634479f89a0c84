// llama.cpp × small-random: n_embd 512, 8 layers — a realistic CPU load (tens to hundreds of tok/s).
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { llmBench, prompts } from '../../helpers/index.ts'

const server = useServer({ stack: 'llama.cpp', model: 'small-random', gpu: 'A' })

describe('small-random on llama.cpp', () => {
  llmBench('decode short prompt', server, { prompt: prompts.short })
  llmBench('prefill long prompt', server, { prompt: prompts.tokens(1024), numPredict: 16 })
})
