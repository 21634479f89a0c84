// One llama.cpp case for the fault tests. FAULT_MODEL names the model (a .gguf path); the server is whatever
// LLAMACPP_BIN points at (the simulator shim, or the real llama-server).
import { useServer } from '../../../fixtures/index.ts'
import { llmBench } from '../../../helpers/index.ts'

const server = useServer({ stack: 'llama.cpp', model: process.env.FAULT_MODEL ?? 'tiny-random' })

llmBench('fault case', server, { numPredict: Number(process.env.FAULT_NUM_PREDICT ?? 8) })
