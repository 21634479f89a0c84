// Load presets after the llamabench seed's PRESETS (chatbot, batch-processing, edge-device: a concurrency list,
// a duration and a prompt style). The seed names them but gives no lengths; these lengths are ours:
// chat turns are short prompts with medium replies, batch jobs are long documents with long outputs at high
// concurrency, edge devices serve one or two users with short exchanges.
import type { LengthSpec } from './synthetic.ts'

export type PresetName = 'chatbot' | 'batch' | 'edge'

export interface LoadPreset {
  description: string
  concurrency: number[]
  /** Seconds per concurrency level. */
  duration: number
  input: LengthSpec
  output: LengthSpec
}

export const PRESETS: Readonly<Record<PresetName, LoadPreset>> = {
  chatbot: {
    description: 'interactive chat: a few to ten users, short prompts, medium replies',
    concurrency: [1, 5, 10],
    duration: 60,
    input: { mean: 256, std: 64 },
    output: { mean: 128, std: 32 },
  },
  batch: {
    description: 'offline batch processing: many streams, long documents, long outputs; throughput first',
    concurrency: [8, 16, 32],
    duration: 120,
    input: { mean: 1024, std: 256 },
    output: { mean: 512, std: 0 },
  },
  edge: {
    description: 'edge device: one or two users, short exchanges',
    concurrency: [1, 2],
    duration: 30,
    input: { mean: 128, std: 32 },
    output: { mean: 64, std: 16 },
  },
}

export function presetOf(name: string): LoadPreset {
  const p = (PRESETS as Record<string, LoadPreset | undefined>)[name]
  if (!p) throw new Error(`unknown load preset "${name}": use one of ${Object.keys(PRESETS).join(', ')} (BENCH_PRESET or the case's preset option).`)
  return p
}
