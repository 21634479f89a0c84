// llama.cpp × small-random under load: a closed-loop concurrency sweep (1/2/4 streams) and a Poisson open-loop
// run, with 64-token synthetic prompts cut exactly by the server's /tokenize. `--parallel 4` gives the server
// enough slots for the largest level. Counts are small: the reference machine has 2 shared cores.
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { llmBench } from '../../helpers/index.ts'

const server = useServer({ stack: 'llama.cpp', model: 'small-random', gpu: 'A', parallel: 4 })

describe('small-random on llama.cpp under load', () => {
  llmBench('decode', server, { concurrency: [1, 2, 4], requests: 8, warmup: 2, numPredict: 32, input: { mean: 64 } })
  llmBench('poisson', server, { rate: [1, 3], requests: 8, warmup: 1, numPredict: 32, input: { mean: 64 } })
})
