// The shape every protocol file exports, and the request-side helpers they share.
import type { ChatMessage, GenerateRequest } from '../types.ts'
import type { ObservationBuilder } from './observation.ts'
import type { StreamRequest, WireParser } from './transport.ts'

export type ProtocolName = 'openai-completions' | 'openai-chat' | 'ollama-generate' | 'ollama-chat' | 'llamacpp' | 'tgi' | 'triton'

export interface ProtocolDef {
  readonly protocol: ProtocolName
  readonly mediaType: StreamRequest['mediaType']
  /** End-of-stream marker for messages; undefined when a clean body end is the only marker (Triton). */
  readonly endMarker: string | undefined
  path(req: GenerateRequest): string
  body(req: GenerateRequest): Record<string, unknown>
  /** `fast` enables the byte-pattern path for token events; off when the caller keeps the text. */
  parser(obs: ObservationBuilder, fast: boolean): WireParser
}

/** Completion APIs take one string; a chat transcript is flattened the way a plain prompt would read. */
export function promptText(prompt: GenerateRequest['prompt']): string {
  return typeof prompt === 'string' ? prompt : prompt.map((m) => m.content).join('\n\n')
}

export function chatMessages(prompt: GenerateRequest['prompt']): ChatMessage[] {
  return typeof prompt === 'string' ? [{ role: 'user', content: prompt }] : prompt
}

/**
 * The end of every body the suite builds the same way: ignore_eos only when asked (vLLM, SGLang and
 * llama-server honour it; servers that reject unknown fields must not get it), then the spec's
 * extras, which win over the defaults.
 */
export function withExtras(b: Record<string, unknown>, req: GenerateRequest): Record<string, unknown> {
  if (req.ignoreEos) b.ignore_eos = true
  return { ...b, ...req.extra }
}
