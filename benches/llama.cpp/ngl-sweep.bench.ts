// llama.cpp × tiny-random: the -ngl sweep on each GPU slot (A then B with two GPUs; the CPU otherwise) —
// base-as-is (the server's default offload), then one fresh llama-server per NGL_CANDIDATES value, stopping by
// EXHAUSTIVE / ZERO_TOKPS_BREAK / NO_IMPROVE_LIMIT; one CSV row per variant.
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { prompts, sweep } from '../../helpers/index.ts'

const server = useServer({ stack: 'llama.cpp', model: 'tiny-random', gpu: 'each' })

for (const slot of server.slots) {
  describe(`tiny-random on llama.cpp ${slot.slotName}`, () => {
    sweep('ngl', slot, { prompt: prompts.short })
  })
}
