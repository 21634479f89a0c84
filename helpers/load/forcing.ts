// Whether a protocol can force the output length (so every request decodes the same number of tokens) or
// only cap it. Forced lengths make throughput comparable across stacks; capped ones are recorded as such.
import type { ProtocolName } from '../protocols/index.ts'

export interface OutputForcing {
  forced: boolean
  /** 'ignore_eos', 'ignore_eos+min_tokens', or why it is not forced. */
  by: string
  /** Body fields to add per request (min_tokens needs the per-request length). */
  extra(maxTokens: number): Record<string, unknown>
}

/** The part of a stack definition that can override the protocol's rule (a generic OpenAI endpoint forces nothing). */
export interface ForcingHook {
  outputForcing?(protocol: ProtocolName): OutputForcing | undefined
}

const none = (by: string): OutputForcing => ({ forced: false, by, extra: () => ({}) })

export function outputForcing(protocol: ProtocolName, ignoreEos: boolean, stack?: ForcingHook): OutputForcing {
  if (!ignoreEos) return none('not forced: ignoreEos is off for this case')
  return stack?.outputForcing?.(protocol) ?? protocolForcing(protocol)
}

/** Whether requests may carry ignore_eos: asked for, and not a stack whose servers may reject the field. */
export function sendsIgnoreEos(protocol: ProtocolName, ignoreEos: boolean, stack?: ForcingHook): boolean {
  return ignoreEos && stack?.outputForcing?.(protocol)?.forced !== false
}

function protocolForcing(protocol: ProtocolName): OutputForcing {
  switch (protocol) {
    case 'openai-completions':
    case 'openai-chat':
      // vLLM/SGLang read min_tokens; llama-server reads ignore_eos; both ignore the other's field
      return { forced: true, by: 'ignore_eos+min_tokens', extra: (n) => ({ min_tokens: n }) }
    case 'llamacpp':
    case 'triton':
      return { forced: true, by: 'ignore_eos', extra: () => ({}) }
    case 'ollama-generate':
    case 'ollama-chat':
      return none('not forced: Ollama has no ignore_eos; num_predict only caps the length')
    case 'tgi':
      return none('not forced: TGI has no ignore_eos; max_new_tokens only caps the length')
  }
}
