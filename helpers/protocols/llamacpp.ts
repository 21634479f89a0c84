// llama.cpp's native POST /completion over SSE. Partial events carry `content` and the generated token ids
// in `tokens` (so multi-token chunks are counted exactly); the last event has `"stop":true`, the counts
// (`tokens_predicted`, `tokens_evaluated`) and `timings`. There is no `[DONE]` on this endpoint.
import type { GenerateRequest, ServerTimings } from '../types.ts'
import { asObject, errorText, type Json, num, objectOrFail, ObservingSink, setIf, str } from './observation.ts'
import { type ProtocolDef, promptText, withExtras } from './protocol.ts'
import { countNumbers, excerpt, Finder, objectShaped, QUOTE } from './scan.ts'
import { SseSplitter, type SseSink } from './sse.ts'

function body(req: GenerateRequest): Record<string, unknown> {
  const b: Record<string, unknown> = {
    prompt: promptText(req.prompt),
    n_predict: req.maxTokens,
    temperature: req.temperature,
    stream: true,
  }
  return withExtras(b, req)
}

class LlamaCppSink extends ObservingSink implements SseSink {
  private readonly content = new Finder('"content":"')
  private readonly tokens = new Finder('"tokens":[')
  private readonly notStopped = new Finder('"stop":false')
  private readonly rare = [new Finder('"timings":{'), new Finder('"error":')]

  event(buf: Buffer, s: number, e: number, t: number, name: string | undefined): void {
    const o = this.obs
    if (o.stopped) return
    if (name === 'error') return o.fail('protocol_error', `llama-server sent an error event: ${excerpt(buf, s, e)}`)
    if (this.fast && objectShaped(buf, s, e) && this.tokenEvent(buf, s, e, t)) return
    this.parsed(buf, s, e, t)
  }

  private tokenEvent(buf: Buffer, s: number, e: number, t: number): boolean {
    if (this.notStopped.near(buf, s, e) < 0) return false
    for (const f of this.rare) if (f.in(buf, s, e) >= 0) return false
    const c = this.content.near(buf, s, e)
    if (c < 0) return false
    const k = this.tokens.near(buf, s, e)
    const ids = k >= 0 ? countNumbers(buf, k + this.tokens.length - 1, e) : 0
    if (ids < 0) return false
    this.record(t, buf[c + this.content.length] !== QUOTE, ids)
    return true
  }

  /** Output = text or token ids (a multi-byte character can arrive as ids with empty content). */
  private record(t: number, hasText: boolean, ids: number): void {
    if (ids > 0) {
      this.obs.tokensExplicit = true
      this.obs.output(t, ids, false)
    } else if (hasText) this.obs.output(t, 1, false)
  }

  private parsed(buf: Buffer, s: number, e: number, t: number): void {
    const o = this.obs
    const ev = objectOrFail(o, buf, s, e, 'SSE event')
    if (ev === undefined) return
    if (ev.error !== undefined) return o.fail('protocol_error', `llama-server reported an error: ${errorText(ev.error)}`)
    const content = str(ev, 'content') ?? ''
    const ids = Array.isArray(ev.tokens) ? ev.tokens.length : 0
    this.record(t, content.length > 0, ids)
    o.appendText(content)
    const tm = asObject(ev.timings)
    if (tm !== undefined) this.timings(tm)
    if (ev.stop === true) {
      const sv = o.server
      setIf(sv, 'outputTokens', num(ev, 'tokens_predicted'))
      setIf(sv, 'promptTokens', num(ev, 'tokens_evaluated'))
      const stopType = str(ev, 'stop_type')
      if (stopType !== undefined) sv.finishReason = stopType
      o.finish(t)
    }
  }

  private timings(tm: Json): void {
    const sv = this.obs.server
    llamaServerTimings(sv, tm)
    setIf(sv, 'outputTokens', num(tm, 'predicted_n'))
    // tokens_cached on the final event is the whole slot cache; cache_n is this prompt's reuse.
    setIf(sv, 'cachedPromptTokens', num(tm, 'cache_n'))
  }
}

/** llama-server's `timings` object, the same on /completion and its OpenAI endpoints: durations and rates. */
export function llamaServerTimings(sv: ServerTimings, tm: Json): void {
  setIf(sv, 'decodeMs', num(tm, 'predicted_ms'))
  setIf(sv, 'promptMs', num(tm, 'prompt_ms'))
  setIf(sv, 'decodeTokPerSec', num(tm, 'predicted_per_second'))
  setIf(sv, 'promptTokPerSec', num(tm, 'prompt_per_second'))
}

export const llamacpp: ProtocolDef = {
  protocol: 'llamacpp',
  mediaType: 'text/event-stream',
  endMarker: 'an event with "stop":true',
  path: () => '/completion',
  body,
  parser: (obs, fast) => new SseSplitter(new LlamaCppSink(obs, fast)),
}
