// llama.cpp × tiny-random: the -ngl sweep — base-as-is (the server's default offload), then one fresh llama-server
// per NGL_CANDIDATES value, stopping by EXHAUSTIVE / ZERO_TOKPS_BREAK / NO_IMPROVE_LIMIT; one CSV row per variant.
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { prompts, sweep } from '../../helpers/index.ts'

const server = useServer({ stack: 'llama.cpp', model: 'tiny-random', gpu: 'A' })

describe('tiny-random on llama.cpp', () => {
  sweep('ngl', server, { prompt: prompts.short })
})
