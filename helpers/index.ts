export { llmBench, type LlmBenchOptions } from './llm-bench.ts'
export { prompts } from './prompts.ts'
export type * from './types.ts'
