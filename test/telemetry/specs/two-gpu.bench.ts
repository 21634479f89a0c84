// One vLLM case on both GPUs (slot MULTI) for the telemetry tests: the `vllm` shim serves the simulator's vLLM-shaped
// /metrics, the `nvidia-smi` shim lists two GPUs and streams the power the test sets.
import { useServer } from '../../../fixtures/index.ts'
import { llmBench } from '../../../helpers/index.ts'

const server = useServer({ stack: 'vllm', model: 'Qwen/Qwen2.5-0.5B-Instruct', gpu: 'MULTI' })

llmBench('two-gpu case', server, { numPredict: Number(process.env.TELEMETRY_NUM_PREDICT ?? 32) })
