// Text Generation Inference's POST /generate_stream (SSE). One event per generated token (`token.id`),
// so counts are explicit; the last event has `generated_text` and, with parameters.details, `details`
// (generated_tokens, finish_reason). Errors arrive as `{"error": …, "error_type": …}` events.
import type { GenerateRequest } from '../types.ts'
import { asObject, errorText, num, objectOrFail, type ObservationBuilder, ObservingSink, setIf, str } from './observation.ts'
import { type ProtocolDef, promptText } from './protocol.ts'
import { excerpt, Finder, objectShaped } from './scan.ts'
import { SseSplitter, type SseSink } from './sse.ts'

function body(req: GenerateRequest): Record<string, unknown> {
  // TGI rejects temperature 0 ("must be strictly positive"): greedy is do_sample=false without a temperature.
  const parameters: Record<string, unknown> = req.temperature > 0 ? { do_sample: true, temperature: req.temperature } : { do_sample: false }
  parameters.max_new_tokens = req.maxTokens
  parameters.details = true
  const extra = { ...req.extra }
  Object.assign(parameters, asObject(extra.parameters) ?? {})
  delete extra.parameters
  // Every other extra is a generation parameter (top_p, seed, stop, …), TGI's only knob location.
  Object.assign(parameters, extra)
  return { inputs: promptText(req.prompt), parameters, stream: true }
}

class TgiSink extends ObservingSink implements SseSink {
  private readonly token = new Finder('"token":{')
  private readonly notFinal = new Finder('"generated_text":null')
  private readonly error = new Finder('"error":')

  constructor(obs: ObservationBuilder, fast: boolean) {
    super(obs, fast)
    obs.tokensExplicit = true
  }

  event(buf: Buffer, s: number, e: number, t: number, name: string | undefined): void {
    const o = this.obs
    if (o.stopped) return
    if (name === 'error') return o.fail('protocol_error', `TGI sent an error event: ${excerpt(buf, s, e)}`)
    if (this.fast && objectShaped(buf, s, e) && this.notFinal.near(buf, s, e) >= 0 && this.error.in(buf, s, e) < 0 && this.token.near(buf, s, e) >= 0) {
      o.output(t, 1, false)
      return
    }
    this.parsed(buf, s, e, t)
  }

  private parsed(buf: Buffer, s: number, e: number, t: number): void {
    const o = this.obs
    const ev = objectOrFail(o, buf, s, e, 'SSE event')
    if (ev === undefined) return
    if (ev.error !== undefined && ev.error !== null) {
      const type = str(ev, 'error_type')
      return o.fail('protocol_error', `TGI reported an error${type ? ` (${type})` : ''}: ${errorText(ev.error)}`)
    }
    const token = asObject(ev.token)
    // Special tokens (EOS) are generated tokens too: TGI counts them in details.generated_tokens.
    if (token !== undefined) {
      o.output(t, 1, false)
      // generated_text leaves special tokens out; so does the kept text.
      if (token.special !== true) o.appendText(str(token, 'text') ?? '')
    }
    if (typeof ev.generated_text === 'string') {
      const d = asObject(ev.details)
      setIf(o.server, 'outputTokens', num(d, 'generated_tokens'))
      setIf(o.server, 'promptTokens', num(d, 'input_length'))
      const fr = str(d, 'finish_reason')
      if (fr !== undefined) o.server.finishReason = fr
      o.finish(t)
    }
  }
}

export const tgi: ProtocolDef = {
  protocol: 'tgi',
  mediaType: 'text/event-stream',
  endMarker: 'a final event with generated_text',
  path: () => '/generate_stream',
  body,
  parser: (obs, fast) => new SseSplitter(new TgiSink(obs, fast)),
}
