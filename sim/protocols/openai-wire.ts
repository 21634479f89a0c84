// OpenAI-compatible completions and chat (vLLM/SGLang, llama-server's /v1, TGI's Messages API, Ollama's /v1):
// request parsing plus the SSE and JSON encoders. `flavour` adds what each server adds on top.
// vLLM (as recorded from vLLM 0.32 on CPU, test/fixtures/recorded/vllm-real-*): chat opens with a chunk of
// `{"role":"assistant","content":""}` sent with the first token, then content-only deltas; reasoning goes in
// `reasoning` (vLLM renamed `reasoning_content`); no `usage` key on streamed chunks; the usage chunk and whole
// responses carry `prompt_tokens_details: {cached_tokens}` (vLLM with --enable-prompt-tokens-details).
import type { GenChunk, GenerateJob, GenInfo, SimContext, SimRequest, StreamEncoder } from '../job.ts'
import { BadRequest, boolField, firstModel, intField, obj } from '../http.ts'
import { chatPromptText, promptTokenCount, tokenize } from '../tokenizer.ts'

export type OpenAIFlavour = 'vllm' | 'llamacpp' | 'tgi' | 'ollama'
export type OpenAIKind = 'completions' | 'chat'

export const DEFAULT_MAX_TOKENS = 16
export const GARBAGE = 'this is not json (simulated malformed line)'

const sse = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`
const perSec = (n: number, ms: number) => (ms > 0 ? (n * 1000) / ms : 0)

/** llama-server's `timings` object. */
export function llamaTimings(info: GenInfo): Record<string, number> {
  const n = info.reportedOutputTokens
  return {
    prompt_n: info.promptTokens,
    prompt_ms: info.promptMs,
    prompt_per_token_ms: info.promptTokens > 0 ? info.promptMs / info.promptTokens : 0,
    prompt_per_second: perSec(info.promptTokens, info.promptMs),
    predicted_n: n,
    predicted_ms: info.decodeMs,
    predicted_per_token_ms: n > 0 ? info.decodeMs / n : 0,
    predicted_per_second: perSec(n, info.decodeMs),
    cache_n: 0,
  }
}

function usage(info: GenInfo, flavour: OpenAIFlavour) {
  const u = { prompt_tokens: info.promptTokens, total_tokens: info.promptTokens + info.reportedOutputTokens, completion_tokens: info.reportedOutputTokens }
  // the simulator keeps no prefix cache: nothing of a prompt is ever served from it
  return flavour === 'vllm' ? { ...u, prompt_tokens_details: { cached_tokens: 0 } } : u
}

/** The field a chat delta or message carries reasoning in. */
const reasoningField = (flavour: OpenAIFlavour) => (flavour === 'vllm' ? 'reasoning' : 'reasoning_content')

function encoder(ctx: SimContext, kind: OpenAIKind, flavour: OpenAIFlavour): StreamEncoder {
  const roleSentAlone = ctx.config.faults.roleOnlyFirstChunk === true
  // vLLM always sends the role alone (with empty content) right before the first token's chunk
  const roleChunkFirst = kind === 'chat' && flavour === 'vllm' && !roleSentAlone
  const head = (info: GenInfo) =>
    kind === 'chat'
      ? { id: `chatcmpl-${info.requestId}`, object: 'chat.completion.chunk', created: info.created, model: info.model }
      : { id: `cmpl-${info.requestId}`, object: 'text_completion', created: info.created, model: info.model }
  const choice = (c: GenChunk | undefined, text: string, info: GenInfo) => {
    const finish = c?.last ? info.finishReason : null
    if (kind === 'completions') return { index: 0, text, logprobs: null, finish_reason: finish, stop_reason: null }
    const delta: Record<string, string> = {}
    if (c?.first && !roleSentAlone && !roleChunkFirst) delta.role = 'assistant'
    if (c?.reasoning) delta[reasoningField(flavour)] = text
    else delta.content = text
    return { index: 0, delta, logprobs: null, finish_reason: finish }
  }
  const roleDelta = flavour === 'vllm' ? { role: 'assistant', content: '' } : { role: 'assistant' }
  const event = (c: GenChunk | undefined, text: string, info: GenInfo) => {
    const value: Record<string, unknown> = { ...head(info), choices: [choice(c, text, info)] }
    if (info.includeUsage && flavour !== 'vllm') value.usage = null
    if (flavour === 'llamacpp' && c?.last && !info.missingUsage) value.timings = llamaTimings(info)
    return value
  }
  return {
    contentType: 'text/event-stream',
    ...(kind === 'chat'
      ? { roleOnly: (info: GenInfo) => sse({ ...head(info), choices: [{ index: 0, delta: roleDelta, logprobs: null, finish_reason: null }] }) }
      : {}),
    chunk: (c, info) =>
      (roleChunkFirst && c.first ? sse({ ...head(info), choices: [{ index: 0, delta: roleDelta, logprobs: null, finish_reason: null }] }) : '') +
      sse(event(c, c.text, info)),
    empty: (info) => sse(event(undefined, '', info)),
    final: (info) => {
      let out = ''
      if (info.includeUsage && !info.missingUsage) {
        const value: Record<string, unknown> = { ...head(info), choices: [], usage: usage(info, flavour) }
        if (flavour === 'llamacpp') value.timings = llamaTimings(info)
        out += sse(value)
      }
      return `${out}data: [DONE]\n\n`
    },
    garbage: () => `data: ${GARBAGE}\n\n`,
    truncated: (c, info) => {
      const json = JSON.stringify(event(c, c.text, info))
      return `data: ${json.slice(0, Math.floor(json.length / 2))}\n\n`
    },
  }
}

function whole(kind: OpenAIKind, flavour: OpenAIFlavour, info: GenInfo): string {
  const base =
    kind === 'chat'
      ? {
          id: `chatcmpl-${info.requestId}`,
          object: 'chat.completion',
          created: info.created,
          model: info.model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: info.text, ...(info.reasoningText ? { [reasoningField(flavour)]: info.reasoningText } : {}) },
              logprobs: null,
              finish_reason: info.finishReason,
            },
          ],
        }
      : {
          id: `cmpl-${info.requestId}`,
          object: 'text_completion',
          created: info.created,
          model: info.model,
          choices: [{ index: 0, text: info.text, logprobs: null, finish_reason: info.finishReason, stop_reason: null }],
        }
  if (info.missingUsage) return JSON.stringify(base)
  return JSON.stringify({ ...base, usage: usage(info, flavour), ...(flavour === 'llamacpp' ? { timings: llamaTimings(info) } : {}) })
}

export function openaiJob(
  ctx: SimContext,
  r: SimRequest,
  kind: OpenAIKind,
  flavour: OpenAIFlavour,
  error: (status: number, message: string) => string,
): GenerateJob {
  const body = obj(r.body)
  let promptTokens: number
  if (kind === 'chat') {
    if (!Array.isArray(body.messages)) throw new BadRequest("'messages' is required and must be an array of {role, content}")
    promptTokens = tokenize(chatPromptText(body.messages)).length
  } else {
    if (body.prompt === undefined) throw new BadRequest("'prompt' is required")
    promptTokens = promptTokenCount(body.prompt)
  }
  const maxRaw = kind === 'chat' ? (body.max_completion_tokens ?? body.max_tokens) : body.max_tokens
  const maxTokens = intField(maxRaw ?? body.n_predict, 'max_tokens', DEFAULT_MAX_TOKENS)
  if (maxTokens < 0) throw new BadRequest(`'max_tokens' must be >= 0, got ${maxTokens}`)
  const stream = body.stream === true
  const streamOptions = obj(body.stream_options)
  return {
    promptTokens,
    maxTokens,
    minTokens: intField(body.min_tokens, 'min_tokens', 0),
    ignoreEos: boolField(body.ignore_eos, false),
    stream,
    includeUsage: stream ? streamOptions.include_usage === true : true,
    model: typeof body.model === 'string' && body.model !== '' ? body.model : firstModel(ctx),
    reasoning: kind === 'chat',
    encoder: encoder(ctx, kind, flavour),
    whole: (info) => whole(kind, flavour, info),
    error,
  }
}

export function modelList(ctx: SimContext, ownedBy: string): unknown {
  const created = Math.floor(ctx.startedAt / 1000)
  return {
    object: 'list',
    data: [...ctx.models.keys()].map((id) => ({ id, object: 'model', created, owned_by: ownedBy, root: id, parent: null, max_model_len: 4096 })),
  }
}
