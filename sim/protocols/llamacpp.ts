// llama-server: native /completion SSE (content + token ids + final timings), the OpenAI /v1
// endpoints with `timings` on the last chunk, /health, /props, /tokenize.
import { runGenerate } from '../engine.ts'
import type { GenChunk, GenerateJob, GenInfo, SimContext, SimRequest, StreamEncoder } from '../job.ts'
import { BadRequest, boolField, firstModel, intField, obj, sendJson, type ProtocolDef } from '../http.ts'
import { promptTokenCount, tokenize } from '../tokenizer.ts'
import { GARBAGE, llamaTimings, modelList, openaiJob } from './openai-wire.ts'

/** llama-server's n_predict -1 means "until EOS/context"; the sim caps that at this many tokens. */
export const UNBOUNDED_PREDICT = 128

const TYPES: Record<number, string> = { 400: 'invalid_request_error', 404: 'not_found_error', 503: 'unavailable_error' }
function error(status: number, message: string): string {
  return JSON.stringify({ error: { code: status, message, type: TYPES[status] ?? 'server_error' } })
}

const sse = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`

function finalFields(info: GenInfo, nPredict: number): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id_slot: 0,
    stop: true,
    model: info.model,
    generation_settings: { n_predict: nPredict, seed: 4294967295, temperature: 0 },
    prompt: '',
    has_new_line: false,
    truncated: false,
    stop_type: info.finishReason === 'stop' ? 'eos' : 'limit',
    stopping_word: '',
  }
  if (info.missingUsage) return base
  return {
    ...base,
    tokens_predicted: info.reportedOutputTokens,
    tokens_evaluated: info.promptTokens,
    tokens_cached: info.promptTokens + info.outputTokens,
    timings: llamaTimings(info),
  }
}

function encoder(nPredict: number): StreamEncoder {
  let predicted = 0
  const event = (c: GenChunk | undefined, info: GenInfo) => ({
    index: 0,
    content: c?.text ?? '',
    tokens: c?.ids ?? [],
    stop: false,
    id_slot: 0,
    tokens_predicted: predicted,
    tokens_evaluated: info.promptTokens,
  })
  return {
    contentType: 'text/event-stream',
    chunk: (c, info) => {
      predicted += c.ids.length
      return sse(event(c, info))
    },
    empty: (info) => sse(event(undefined, info)),
    final: (info) => sse({ index: 0, content: '', tokens: [], ...finalFields(info, nPredict) }),
    garbage: () => `data: ${GARBAGE}\n\n`,
    truncated: (c, info) => {
      const json = JSON.stringify(event(c, info))
      return `data: ${json.slice(0, Math.floor(json.length / 2))}\n\n`
    },
  }
}

function completionJob(ctx: SimContext, r: SimRequest): GenerateJob {
  const body = obj(r.body)
  if (body.prompt === undefined) throw new BadRequest("'prompt' is required")
  const nPredict = intField(body.n_predict ?? body.max_tokens, 'n_predict', -1)
  const stream = body.stream === true
  return {
    promptTokens: promptTokenCount(body.prompt),
    maxTokens: nPredict < 0 ? UNBOUNDED_PREDICT : nPredict,
    minTokens: 0,
    ignoreEos: boolField(body.ignore_eos, false),
    stream,
    includeUsage: true,
    model: firstModel(ctx),
    reasoning: false,
    encoder: encoder(nPredict),
    whole: (info) => JSON.stringify({ index: 0, content: info.text, tokens: info.ids, ...finalFields(info, nPredict) }),
    error,
  }
}

export const llamacpp: ProtocolDef = {
  error,
  loading: () => ({ status: 503, body: error(503, 'Loading model') }),
  routes: [
    { method: 'POST', path: /^\/completions?$/, handle: (ctx, r) => runGenerate(ctx, r, completionJob(ctx, r)) },
    { method: 'POST', path: /^\/v1\/completions$/, handle: (ctx, r) => runGenerate(ctx, r, openaiJob(ctx, r, 'completions', 'llamacpp', error)) },
    { method: 'POST', path: /^\/(v1\/)?chat\/completions$/, handle: (ctx, r) => runGenerate(ctx, r, openaiJob(ctx, r, 'chat', 'llamacpp', error)) },
    { method: 'GET', path: /^\/health$/, handle: (_ctx, r) => sendJson(r.res, 200, { status: 'ok' }) },
    { method: 'GET', path: /^\/(v1\/)?models$/, handle: (ctx, r) => sendJson(r.res, 200, modelList(ctx, 'llamacpp')) },
    {
      method: 'GET',
      path: /^\/props$/,
      handle: (ctx, r) =>
        sendJson(r.res, 200, {
          default_generation_settings: { n_ctx: 4096, params: { n_predict: -1 } },
          total_slots: ctx.config.maxSeqs,
          model_path: `${firstModel(ctx)}.gguf`,
          build_info: 'fuze-bench sim',
        }),
    },
    {
      method: 'POST',
      path: /^\/tokenize$/,
      handle: (_ctx, r) => {
        const body = obj(r.body)
        const text = typeof body.content === 'string' ? body.content : typeof body.prompt === 'string' ? body.prompt : undefined
        if (text === undefined) throw new BadRequest("'content' (string) is required")
        sendJson(r.res, 200, { tokens: tokenize(text) })
      },
    },
  ],
}
