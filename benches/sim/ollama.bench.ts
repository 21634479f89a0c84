// The simulator speaking Ollama, as its own process: /api/generate and /api/chat end to end.
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { llmBench, prompts } from '../../helpers/index.ts'
import { SIM_FAST } from './sim-args.ts'

const server = useServer({ stack: 'sim', model: 'sim-model', protocol: 'ollama-generate', args: SIM_FAST })

describe('sim-model on sim (ollama)', () => {
  llmBench('generate', server, { prompt: prompts.short })
  llmBench('chat', server, { prompt: [{ role: 'user', content: prompts.short }], protocol: 'ollama-chat' })
})
