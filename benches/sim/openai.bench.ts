// The simulator speaking OpenAI (vLLM/SGLang shapes), as its own process: completions and chat end to end.
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { llmBench, prompts } from '../../helpers/index.ts'
import { SIM_FAST } from './sim-args.ts'

const server = useServer({ stack: 'sim', model: 'sim-model', protocol: 'openai-completions', args: SIM_FAST })

describe('sim-model on sim (openai)', () => {
  llmBench('completions', server, { prompt: prompts.short })
  llmBench('chat', server, { prompt: [{ role: 'user', content: prompts.short }], protocol: 'openai-chat' })
})
