// fuze-bench beside the peer tools on vLLM (tiny-random, CPU here), where `npx fuze-bench setup --stack vllm` installed it (or
// VLLM_BIN names one): real-server.ts. Skipped with one line otherwise.
import { realServerScenario } from './real-server.ts'

realServerScenario('vllm')
