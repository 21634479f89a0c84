// per-case telemetry (server metrics, GPU/CPU energy, cost) rides on the case hooks of every spec
import './telemetry/hooks.ts'
export { llmBench, type LlmBenchOptions } from './llm-bench.ts'
export { prompts } from './prompts.ts'
export type * from './types.ts'
export { sweep, skipBench, type SweepKind, type SweepOptions } from './sweep.ts'
export { autoNgCandidates, SweepStopper, type StopRules } from './sweep-rules.ts'
export { eachServedModel } from './each-model.ts'
