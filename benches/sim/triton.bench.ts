// The simulator speaking triton, as its own process, end to end.
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { llmBench, prompts } from '../../helpers/index.ts'
import { SIM_FAST } from './sim-args.ts'

const server = useServer({ stack: 'sim', model: 'sim-model', protocol: 'triton', args: SIM_FAST })

describe('sim-model on sim (triton)', () => {
  llmBench('decode short prompt', server, { prompt: prompts.short })
})
