// What a protocol handler fills in while a stream is read; the transport turns it into a StreamObservation.
import type { Outcome, ServerTimings } from '../types.ts'
import { excerpt, parseJson } from './scan.ts'

export class ObservationBuilder {
  readonly chunkTimes: number[] = []
  /** Tokens per chunk, kept only once a chunk carried other than one (most streams never do: no array per token). */
  private tokens: number[] | null = null
  tokensExplicit = false
  tFirstContent: number | undefined = undefined
  reasoningTokens = 0
  readonly server: ServerTimings = {}
  text: string | undefined
  /** The protocol's end marker was seen (OpenAI `[DONE]`, Ollama `done:true`, llama.cpp `stop:true`, TGI details). */
  done = false
  tDone: number | undefined = undefined
  failure: { outcome: Outcome; error: string } | undefined = undefined

  constructor(keepText: boolean) {
    this.text = keepText ? '' : undefined
  }

  /** A chunk that carried generated output: `tokens` of it, reasoning or not. */
  output(t: number, tokens: number, reasoning: boolean): void {
    if (this.tokens === null && tokens !== 1) this.tokens = new Array<number>(this.chunkTimes.length).fill(1)
    this.chunkTimes.push(t)
    this.tokens?.push(tokens)
    if (reasoning) this.reasoningTokens += tokens
    else if (this.tFirstContent === undefined) this.tFirstContent = t
  }

  /**
   * One chat-style delta (OpenAI, Ollama): text is output and kept; else reasoning is reasoning output;
   * else a tool-call delta is output (it is generated tokens, with no text).
   */
  delta(t: number, text: string | undefined, reasoning: string | undefined, tools: unknown): void {
    if (text) {
      this.output(t, 1, false)
      this.appendText(text)
    } else if (reasoning) this.output(t, 1, true)
    else if (Array.isArray(tools) && tools.length > 0) this.output(t, 1, false)
  }

  /** Tokens each output chunk carried (one per chunk unless the wire said otherwise). */
  get chunkTokens(): number[] {
    return this.tokens ?? new Array<number>(this.chunkTimes.length).fill(1)
  }

  appendText(s: string): void {
    if (this.text !== undefined) this.text += s
  }

  finish(t: number): void {
    if (this.done) return
    this.done = true
    this.tDone = t
  }

  /** First failure wins: later symptoms of the same problem don't overwrite the cause. */
  fail(outcome: Outcome, error: string): void {
    if (this.failure === undefined) this.failure = { outcome, error }
  }

  get stopped(): boolean {
    return this.done || this.failure !== undefined
  }
}

/**
 * What every protocol's wire sink starts from: the builder it fills, whether the byte-pattern fast path is
 * on, and the one way a splitter's malformed stream is reported.
 */
export abstract class ObservingSink {
  constructor(
    protected readonly obs: ObservationBuilder,
    protected readonly fast: boolean,
  ) {}

  malformed(reason: string): void {
    this.obs.fail('protocol_error', reason)
  }
}

/** A parsed JSON object, or undefined for anything else. */
export type Json = Record<string, unknown>

export function asObject(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined
}

export function num(o: Json | undefined, key: string): number | undefined {
  const v = o?.[key]
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

export function str(o: Json | undefined, key: string): string | undefined {
  const v = o?.[key]
  return typeof v === 'string' ? v : undefined
}

/** Server error payloads come as a string or `{ message }`; either way one readable line. */
export function errorText(v: unknown): string {
  if (typeof v === 'string') return v
  const o = asObject(v)
  const m = str(o, 'message') ?? str(o, 'error')
  return m ?? JSON.stringify(v)
}

/** Set a ServerTimings field only when the wire gave a number, so a missing value stays undefined. */
export function setIf(server: ServerTimings, key: keyof Omit<ServerTimings, 'finishReason'>, v: number | undefined): void {
  if (v !== undefined) server[key] = v
}

/** The payload as a JSON object; anything else fails the stream as a protocol error that shows it. */
export function objectOrFail(o: ObservationBuilder, buf: Buffer, s: number, e: number, what: 'SSE event' | 'NDJSON line'): Json | undefined {
  const ev = asObject(parseJson(buf, s, e))
  if (ev === undefined) o.fail('protocol_error', `malformed ${what} (not a JSON object): ${excerpt(buf, s, e)}`)
  return ev
}
