// Capacity search against a server of known capacity: the simulator generating 4 sequences at once, TTFT 50 ms
// and 10 ms per further token, so with N = BENCH_NUM_PREDICT output tokens a request takes 50 + 10·(N − 1) ms and
// the server sustains 4 / that many requests/s (N = 32: 360 ms, 11.1 req/s). The case should find about that,
// inside the SLO given by BENCH_SLO_* (e.g. BENCH_SLO_E2E_MS=1500). SIM_URL benches another server instead.
//   BENCH_NUM_PREDICT=32 BENCH_SLO_E2E_MS=1500 npx vitest bench --project sim -t capacity
import { describe } from 'vitest'
import { useServer } from '../../fixtures/index.ts'
import { llmBench, prompts } from '../../helpers/index.ts'

// no per-prompt-token cost, so the service time is exactly the formula above
const server = useServer({
  stack: 'sim',
  model: 'sim-model',
  protocol: 'openai-completions',
  args: ['--max-seqs', '4', '--ttft-ms', '50', '--itl-ms', '10', '--per-prompt-token-ms', '0'],
})

describe('sim-model on sim (4 sequences)', () => {
  llmBench('capacity', server, { prompt: prompts.short, capacity: true })
})
