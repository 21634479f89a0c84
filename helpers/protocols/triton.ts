// Triton Inference Server's generate extension: POST /v2/models/<model>/generate_stream (SSE), one JSON
// object per response with the model's outputs (`text_output` for the TensorRT-LLM ensemble and the vLLM
// backend). There is no end marker and no usage: the stream is complete when the body ends cleanly, and
// token counts are the client's unless the model also returns a count output.
import type { GenerateRequest } from '../types.ts'
import { errorText, num, objectOrFail, ObservingSink, str } from './observation.ts'
import { type ProtocolDef, promptText, withExtras } from './protocol.ts'
import { excerpt, Finder, objectShaped, QUOTE } from './scan.ts'
import { SseSplitter, type SseSink } from './sse.ts'

function modelPath(req: GenerateRequest): string {
  if (!req.model)
    throw new Error(
      "triton: GenerateRequest.model is required: it names the model in /v2/models/<model>/generate_stream (e.g. 'ensemble'). Set the spec's model or TRITON_MODEL.",
    )
  return `/v2/models/${encodeURIComponent(req.model)}/generate_stream`
}

function body(req: GenerateRequest): Record<string, unknown> {
  const b: Record<string, unknown> = {
    text_input: promptText(req.prompt),
    max_tokens: req.maxTokens,
    temperature: req.temperature,
    stream: true,
  }
  return withExtras(b, req)
}

class TritonSink extends ObservingSink implements SseSink {
  private readonly out = new Finder('"text_output":"')
  private readonly error = new Finder('"error":')
  // a model that returns its token counts (num_output_tokens / num_input_tokens) takes the parsed path
  private readonly counts = new Finder('"num_')

  event(buf: Buffer, s: number, e: number, t: number, name: string | undefined): void {
    const o = this.obs
    if (o.stopped) return
    if (name === 'error') return o.fail('protocol_error', `Triton sent an error event: ${excerpt(buf, s, e)}`)
    if (this.fast && objectShaped(buf, s, e) && this.error.in(buf, s, e) < 0 && this.counts.near(buf, s, e) < 0) {
      const i = this.out.near(buf, s, e)
      if (i >= 0) {
        if (buf[i + this.out.length] !== QUOTE) o.output(t, 1, false)
        return
      }
    }
    this.parsed(buf, s, e, t)
  }

  private parsed(buf: Buffer, s: number, e: number, t: number): void {
    const o = this.obs
    const ev = objectOrFail(o, buf, s, e, 'SSE event')
    if (ev === undefined) return
    if (ev.error !== undefined) return o.fail('protocol_error', `Triton reported an error: ${errorText(ev.error)}`)
    // The vLLM backend can return per-response counts (return_num_output_tokens): exact tokens per chunk.
    const n = num(ev, 'num_output_tokens')
    const text = str(ev, 'text_output') ?? ''
    if (n !== undefined && n > 0) {
      o.tokensExplicit = true
      o.output(t, n, false)
    } else if (text) o.output(t, 1, false)
    o.appendText(text)
    const input = num(ev, 'num_input_tokens')
    if (input !== undefined) o.server.promptTokens = input
  }
}

export const triton: ProtocolDef = {
  protocol: 'triton',
  mediaType: 'text/event-stream',
  endMarker: undefined,
  path: modelPath,
  body,
  parser: (obs, fast) => new SseSplitter(new TritonSink(obs, fast)),
}
