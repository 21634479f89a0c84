// OpenAI-compatible /v1/completions and /v1/chat/completions over SSE (vLLM, SGLang, llama-server,
// TGI's Messages API, Triton's OpenAI frontend). End marker `data: [DONE]`; counts from the final
// `usage` chunk (asked for with stream_options.include_usage); llama-server adds `timings`.
import type { GenerateRequest } from '../types.ts'
import { llamaServerTimings } from './llamacpp.ts'
import { asObject, errorText, type Json, num, objectOrFail, type ObservationBuilder, ObservingSink, setIf, str } from './observation.ts'
import { chatMessages, type ProtocolDef, promptText, withExtras } from './protocol.ts'
import { excerpt, Finder, isDone, objectShaped, QUOTE, Template } from './scan.ts'
import { SseSplitter, type SseSink } from './sse.ts'

type Flavor = 'completions' | 'chat'

function body(flavor: Flavor, req: GenerateRequest): Record<string, unknown> {
  const b: Record<string, unknown> = {}
  if (req.model !== undefined) b.model = req.model
  if (flavor === 'chat') b.messages = chatMessages(req.prompt)
  else b.prompt = promptText(req.prompt)
  b.max_tokens = req.maxTokens
  b.temperature = req.temperature
  b.stream = true
  b.stream_options = { include_usage: true }
  return withExtras(b, req)
}

class OpenAiSink extends ObservingSink implements SseSink {
  private readonly out: Finder
  private readonly reasoning: Finder[]
  // Keys that make an event more than a plain token: handled by JSON.parse.
  private readonly rare = [
    new Finder('"usage":{'),
    new Finder('"timings":{'),
    new Finder('"error":'),
    new Finder('"finish_reason":"'),
    new Finder('"tool_calls":'),
  ]
  private usageSeen = false
  private readonly template = new Template()

  constructor(
    private readonly flavor: Flavor,
    obs: ObservationBuilder,
    fast: boolean,
  ) {
    super(obs, fast)
    this.out = new Finder(flavor === 'chat' ? '"content":"' : '"text":"')
    this.reasoning = flavor === 'chat' ? [new Finder('"reasoning_content":"'), new Finder('"reasoning":"')] : []
  }

  event(buf: Buffer, s: number, e: number, t: number, name: string | undefined): void {
    const o = this.obs
    if (o.stopped) return
    if (isDone(buf, s, e)) return o.finish(t)
    if (name === 'error') return o.fail('protocol_error', `the server sent an error event: ${excerpt(buf, s, e)}`)
    if (this.fast && objectShaped(buf, s, e) && this.tokenEvent(buf, s, e, t)) return
    this.parsed(buf, s, e, t)
  }

  /** Fast path: true when the event was a plain token event and has been recorded. */
  private tokenEvent(buf: Buffer, s: number, e: number, t: number): boolean {
    const n = this.template.match(buf, s, e)
    if (n >= 0) {
      if (n > 0) this.obs.output(t, 1, false)
      return true
    }
    for (const f of this.rare) if (f.in(buf, s, e) >= 0) return false
    const i = this.out.near(buf, s, e)
    if (i >= 0 && buf[i + this.out.length] !== QUOTE) {
      this.template.learn(buf, s, i + this.out.length, e)
      this.obs.output(t, 1, false)
      return true
    }
    for (const f of this.reasoning) {
      const j = f.in(buf, s, e)
      if (j >= 0 && buf[j + f.length] !== QUOTE) {
        this.obs.output(t, 1, true)
        return true
      }
    }
    // Key present with "" (a role-only or empty chunk): no output. Key absent: let JSON.parse decide.
    return i >= 0
  }

  private parsed(buf: Buffer, s: number, e: number, t: number): void {
    const o = this.obs
    const ev = objectOrFail(o, buf, s, e, 'SSE event')
    if (ev === undefined) return
    if (ev.error !== undefined && ev.error !== null) return o.fail('protocol_error', `the server sent an error event: ${errorText(ev.error)}`)
    const choices = ev.choices
    const c = Array.isArray(choices) ? asObject(choices[0]) : undefined
    if (c !== undefined) {
      this.choice(c, t)
      const fr = str(c, 'finish_reason')
      if (fr !== undefined) o.server.finishReason = fr
    }
    const usage = asObject(ev.usage)
    if (usage !== undefined) {
      this.usageSeen = true
      setIf(o.server, 'outputTokens', num(usage, 'completion_tokens'))
      setIf(o.server, 'promptTokens', num(usage, 'prompt_tokens'))
      setIf(o.server, 'cachedPromptTokens', num(asObject(usage.prompt_tokens_details), 'cached_tokens'))
    }
    const timings = asObject(ev.timings)
    if (timings !== undefined) this.timings(timings)
  }

  private choice(c: Json, t: number): void {
    const o = this.obs
    if (this.flavor === 'completions') return o.delta(t, str(c, 'text'), undefined, undefined)
    const d = asObject(c.delta)
    o.delta(t, str(d, 'content'), str(d, 'reasoning_content') ?? str(d, 'reasoning'), d?.tool_calls)
  }

  /** llama-server's timings (last chunk, or every chunk with timings_per_token). */
  private timings(tm: Json): void {
    const sv = this.obs.server
    llamaServerTimings(sv, tm)
    // usage is the authority; predicted_n is still the server's own count when usage is missing.
    if (!this.usageSeen) setIf(sv, 'outputTokens', num(tm, 'predicted_n'))
  }
}

function def(flavor: Flavor): ProtocolDef {
  return {
    protocol: flavor === 'chat' ? 'openai-chat' : 'openai-completions',
    mediaType: 'text/event-stream',
    endMarker: 'data: [DONE]',
    path: () => (flavor === 'chat' ? '/v1/chat/completions' : '/v1/completions'),
    body: (req) => body(flavor, req),
    parser: (obs, fast) => new SseSplitter(new OpenAiSink(flavor, obs, fast)),
  }
}

export const openaiCompletions = def('completions')
export const openaiChat = def('chat')
