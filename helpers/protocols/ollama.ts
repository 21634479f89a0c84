// Ollama's native /api/generate and /api/chat, newline-delimited JSON. Runtime parameters go under
// `options` (top-level num_gpu, num_ctx, … are silently ignored by Ollama — the bug this suite inherited).
// The final `done:true` object carries the server's counts and durations (nanoseconds).
import type { GenerateRequest } from '../types.ts'
import { NdjsonSplitter, type LineSink } from './ndjson.ts'
import { asObject, errorText, type Json, num, objectOrFail, type ObservationBuilder, ObservingSink, setIf, str } from './observation.ts'
import { chatMessages, type ProtocolDef, promptText } from './protocol.ts'
import { Finder, objectShaped, QUOTE } from './scan.ts'

type Flavor = 'generate' | 'chat'

/** Request fields Ollama reads at the top level; every other extra is a model option. */
const TOP_LEVEL = new Set([
  'model',
  'prompt',
  'suffix',
  'images',
  'format',
  'system',
  'template',
  'raw',
  'keep_alive',
  'context',
  'think',
  'tools',
  'messages',
  'stream',
])

export function ollamaBody(flavor: Flavor, req: GenerateRequest): Record<string, unknown> {
  const options: Record<string, unknown> = { num_predict: req.maxTokens, temperature: req.temperature }
  const top: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(req.extra ?? {})) {
    if (k === 'options') Object.assign(options, asObject(v) ?? {})
    else if (TOP_LEVEL.has(k)) top[k] = v
    else options[k] = v
  }
  // Ollama has no ignore_eos: exact lengths come from num_predict plus a prompt that does not end early.
  const b: Record<string, unknown> = { model: req.model ?? '' }
  if (flavor === 'chat') b.messages = chatMessages(req.prompt)
  else b.prompt = promptText(req.prompt)
  return { ...b, ...top, stream: true, options }
}

/** Ollama durations are nanoseconds. */
function ms(ns: number | undefined): number | undefined {
  return ns === undefined ? undefined : ns / 1e6
}

class OllamaSink extends ObservingSink implements LineSink {
  private readonly out: Finder
  private readonly thinking = new Finder('"thinking":"')
  private readonly notDone = new Finder('"done":false')
  private readonly rare = [new Finder('"error":'), new Finder('"tool_calls":')]

  constructor(
    private readonly flavor: Flavor,
    obs: ObservationBuilder,
    fast: boolean,
  ) {
    super(obs, fast)
    this.out = new Finder(flavor === 'chat' ? '"content":"' : '"response":"')
  }

  line(buf: Buffer, s: number, e: number, t: number): void {
    if (this.obs.stopped) return
    if (this.fast && objectShaped(buf, s, e) && this.tokenLine(buf, s, e, t)) return
    this.parsed(buf, s, e, t)
  }

  private tokenLine(buf: Buffer, s: number, e: number, t: number): boolean {
    if (this.notDone.near(buf, s, e) < 0) return false
    for (const f of this.rare) if (f.in(buf, s, e) >= 0) return false
    const i = this.out.near(buf, s, e)
    if (i >= 0 && buf[i + this.out.length] !== QUOTE) {
      this.obs.output(t, 1, false)
      return true
    }
    const j = this.thinking.in(buf, s, e)
    if (j >= 0 && buf[j + this.thinking.length] !== QUOTE) {
      this.obs.output(t, 1, true)
      return true
    }
    return i >= 0
  }

  private parsed(buf: Buffer, s: number, e: number, t: number): void {
    const o = this.obs
    const ev = objectOrFail(o, buf, s, e, 'NDJSON line')
    if (ev === undefined) return
    if (ev.error !== undefined) return o.fail('protocol_error', `Ollama reported an error mid-stream: ${errorText(ev.error)}`)
    const src = this.flavor === 'chat' ? asObject(ev.message) : ev
    o.delta(t, str(src, this.flavor === 'chat' ? 'content' : 'response'), str(src, 'thinking'), src?.tool_calls)
    if (ev.done === true) {
      this.final(ev)
      o.finish(t)
    }
  }

  private final(ev: Json): void {
    const sv = this.obs.server
    const evalCount = num(ev, 'eval_count')
    const evalNs = num(ev, 'eval_duration')
    const promptCount = num(ev, 'prompt_eval_count')
    const promptNs = num(ev, 'prompt_eval_duration')
    setIf(sv, 'outputTokens', evalCount)
    setIf(sv, 'promptTokens', promptCount)
    setIf(sv, 'decodeMs', ms(evalNs))
    setIf(sv, 'promptMs', ms(promptNs))
    setIf(sv, 'loadMs', ms(num(ev, 'load_duration')))
    setIf(sv, 'totalMs', ms(num(ev, 'total_duration')))
    if (evalCount !== undefined && evalNs) sv.decodeTokPerSec = (evalCount * 1e9) / evalNs
    if (promptCount !== undefined && promptNs) sv.promptTokPerSec = (promptCount * 1e9) / promptNs
    const reason = str(ev, 'done_reason')
    if (reason !== undefined) sv.finishReason = reason
  }
}

function def(flavor: Flavor): ProtocolDef {
  return {
    protocol: flavor === 'chat' ? 'ollama-chat' : 'ollama-generate',
    mediaType: 'application/x-ndjson',
    endMarker: 'a final object with "done":true',
    path: () => (flavor === 'chat' ? '/api/chat' : '/api/generate'),
    body: (req) => ollamaBody(flavor, req),
    parser: (obs, fast) => new NdjsonSplitter(new OllamaSink(flavor, obs, fast)),
  }
}

export const ollamaGenerate = def('generate')
export const ollamaChat = def('chat')
