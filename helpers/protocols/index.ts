// One streaming client per wire protocol. generate() never throws for a failed request: every failure is
// an Outcome in the observation (docs/design.md "Measurement rules").
import type { GenerateRequest, StreamObservation } from '../types.ts'
import { llamacpp } from './llamacpp.ts'
import { ObservationBuilder } from './observation.ts'
import { ollamaChat, ollamaGenerate } from './ollama.ts'
import { openaiChat, openaiCompletions } from './openai.ts'
import type { ProtocolDef, ProtocolName } from './protocol.ts'
import { tgi } from './tgi.ts'
import { Transport } from './transport.ts'
import { triton } from './triton.ts'

export type { ProtocolName } from './protocol.ts'

export interface ProtocolClient {
  readonly protocol: ProtocolName
  generate(req: GenerateRequest): Promise<StreamObservation>
  /** Before a measured phase: open connections until `n` are free, so its first requests do not connect. */
  preconnect?(n: number): Promise<void>
  close(): Promise<void>
}

export interface ClientOptions {
  /** Max sockets to the server (default: unlimited, so concurrency is never capped by the client's pool). */
  connections?: number
  /** Extra request headers (e.g. authorization). */
  headers?: Record<string, string>
  /** Keep the generated text in StreamObservation.text (slower: every event is JSON-parsed). */
  keepText?: boolean
}

const DEFS: Record<ProtocolName, ProtocolDef> = {
  'openai-completions': openaiCompletions,
  'openai-chat': openaiChat,
  'ollama-generate': ollamaGenerate,
  'ollama-chat': ollamaChat,
  llamacpp,
  tgi,
  triton,
}

export const PROTOCOLS = Object.keys(DEFS) as ProtocolName[]

export function createClient(protocol: ProtocolName, baseUrl: string, opts: ClientOptions = {}): ProtocolClient {
  const def = DEFS[protocol]
  if (def === undefined) throw new Error(`unknown protocol "${String(protocol)}": use one of ${PROTOCOLS.join(', ')} (the stack definition's protocol field).`)
  const transport = new Transport(baseUrl, opts)
  const keepText = opts.keepText === true
  return {
    protocol,
    generate(req: GenerateRequest): Promise<StreamObservation> {
      const keep = keepText || req.keepText === true
      const obs = new ObservationBuilder(keep)
      let path: string
      try {
        path = def.path(req)
      } catch (e) {
        // A request the protocol cannot express is a configuration error, not a request outcome.
        return Promise.reject(e)
      }
      return transport.stream({
        path,
        body: JSON.stringify(def.body(req)),
        mediaType: def.mediaType,
        requestId: req.requestId,
        timeoutMs: req.timeoutMs,
        ...(req.stallMs !== undefined ? { stallMs: req.stallMs } : {}),
        ...(req.signal !== undefined ? { signal: req.signal } : {}),
        ...(req.sendAt !== undefined ? { sendAt: req.sendAt } : {}),
        obs,
        parser: def.parser(obs, !keep),
        endMarker: def.endMarker,
      })
    },
    preconnect: (n: number) => transport.preconnect(n),
    close: () => transport.close(),
  }
}

/** The wire definition behind a client (request body, path, byte parser): for tests and the harness benches. */
export function protocolDef(protocol: ProtocolName): ProtocolDef {
  return DEFS[protocol]
}
