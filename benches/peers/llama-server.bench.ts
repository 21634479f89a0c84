// fuze-bench beside the peer tools on llama-server (tiny-random, CPU, --parallel 4): real-server.ts.
import { realServerScenario } from './real-server.ts'

realServerScenario('llama-server')
