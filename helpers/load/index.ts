// Load scenarios: schedulers, arrival processes, workloads (fixed, synthetic token-length, ShareGPT) and presets.
export { arrivalOffsets, timeForEvents, type ArrivalProcess, type ArrivalSpec, type ArrivalBounds } from './arrivals.ts'
export {
  runSchedule,
  checkShape,
  inFlightCap,
  type LoadShape,
  type LoadBounds,
  type Sender,
  type SendSlot,
  type AbortCheck,
  type ScheduleResult,
} from './scheduler.ts'
export { planLevels, type LoadOptions, type LoadLevel } from './plan.ts'
export { PRESETS, presetOf, type PresetName, type LoadPreset } from './presets.ts'
export { tokenizerFor, estimateTokenizer, type PromptTokenizer } from './tokenizer.ts'
export { promptOfLength, drawLengths, type LengthSpec, type SizedPrompt } from './synthetic.ts'
export { loadShareGpt, type ShareGptPair } from './sharegpt.ts'
export { buildWorkload, workItem, type Workload, type WorkItem, type WorkloadSpec } from './workload.ts'
export { outputForcing, type OutputForcing } from './forcing.ts'
export { runLoadCase, errorRateAbort, type LoadCaseOptions } from './run-load.ts'
export { seededRng } from './rng.ts'
