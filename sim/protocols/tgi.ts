// Hugging Face TGI: /generate_stream (one SSE event per token, details on the last), /generate,
// the Messages API (/v1/chat/completions), /health and /info.
import { runGenerate } from '../engine.ts'
import type { GenChunk, GenerateJob, GenInfo, SimContext, SimRequest, StreamEncoder } from '../job.ts'
import { BadRequest, firstModel, intField, obj, sendJson, sendText, type ProtocolDef } from '../http.ts'
import { outputToken, promptTokenCount } from '../tokenizer.ts'
import { GARBAGE, openaiJob } from './openai-wire.ts'

/** TGI's default for parameters.max_new_tokens. */
export const DEFAULT_MAX_NEW_TOKENS = 100
// biome-ignore lint/suspicious/noApproximativeNumericConstant: a fixed logprob as TGI prints it (4 digits), not a use of ln 2
const LOGPROB = -0.6931

const ERROR_TYPES: Record<number, string> = { 422: 'validation', 400: 'validation', 429: 'overloaded', 503: 'overloaded', 500: 'generation' }
function error(status: number, message: string): string {
  return JSON.stringify({ error: message, error_type: ERROR_TYPES[status] ?? 'generation' })
}

const sse = (value: unknown) => `data:${JSON.stringify(value)}\n\n`

function details(info: GenInfo) {
  return {
    finish_reason: info.finishReason === 'stop' ? 'eos_token' : 'length',
    generated_tokens: info.reportedOutputTokens,
    seed: null,
    input_length: info.promptTokens,
  }
}

function encoder(): StreamEncoder {
  let index = 0
  const tokenEvent = (id: number, text: string, special: boolean, last: boolean, info: GenInfo) => ({
    index: ++index,
    token: { id, text, logprob: special ? 0 : LOGPROB, special },
    generated_text: last ? info.text : null,
    details: last && !info.missingUsage ? details(info) : null,
    top_tokens: null,
  })
  // A multi-token chunk is several events in one write, as TGI sends bursts under speculation.
  const events = (c: GenChunk, info: GenInfo) => c.ids.map((id, k) => tokenEvent(id, c.texts[k], false, c.last && k === c.ids.length - 1, info))
  return {
    contentType: 'text/event-stream',
    chunk: (c, info) => events(c, info).map(sse).join(''),
    empty: (info) => sse(tokenEvent(0, '', true, false, info)),
    final: (info) => (info.outputTokens === 0 ? sse({ ...tokenEvent(0, '', true, true, info) }) : ''),
    garbage: () => `data:${GARBAGE}\n\n`,
    truncated: (c, info) => {
      const json = JSON.stringify(tokenEvent(c.ids[0] ?? 0, c.texts[0] ?? '', false, false, info))
      return `data:${json.slice(0, Math.floor(json.length / 2))}\n\n`
    },
  }
}

function generateJob(ctx: SimContext, r: SimRequest, stream: boolean): GenerateJob {
  const body = obj(r.body)
  if (typeof body.inputs !== 'string') throw new BadRequest("Input validation error: 'inputs' must be a string", 422)
  const parameters = obj(body.parameters)
  const maxTokens = intField(parameters.max_new_tokens, 'parameters.max_new_tokens', DEFAULT_MAX_NEW_TOKENS)
  if (maxTokens < 1) throw new BadRequest('Input validation error: `max_new_tokens` must be strictly positive', 422)
  return {
    promptTokens: promptTokenCount(body.inputs),
    maxTokens,
    minTokens: 0,
    ignoreEos: false,
    stream,
    includeUsage: true,
    model: firstModel(ctx),
    reasoning: false,
    encoder: encoder(),
    whole: (info) => {
      const tokens = info.ids.map((id, i) => ({ id, text: outputToken(ctx.config.seed, i).text, logprob: LOGPROB, special: false }))
      return JSON.stringify(
        info.missingUsage ? { generated_text: info.text } : { generated_text: info.text, details: { ...details(info), prefill: [], tokens } },
      )
    },
    error,
  }
}

export const tgi: ProtocolDef = {
  error,
  loading: () => ({ status: 503, body: error(503, 'Model is loading') }),
  routes: [
    { method: 'POST', path: /^\/generate_stream$/, handle: (ctx, r) => runGenerate(ctx, r, generateJob(ctx, r, true)) },
    { method: 'POST', path: /^\/generate$/, handle: (ctx, r) => runGenerate(ctx, r, generateJob(ctx, r, obj(r.body).stream === true)) },
    { method: 'POST', path: /^\/v1\/chat\/completions$/, handle: (ctx, r) => runGenerate(ctx, r, openaiJob(ctx, r, 'chat', 'tgi', error)) },
    { method: 'POST', path: /^\/v1\/completions$/, handle: (ctx, r) => runGenerate(ctx, r, openaiJob(ctx, r, 'completions', 'tgi', error)) },
    { method: 'GET', path: /^\/health$/, handle: (_ctx, r) => sendText(r.res, 200, '') },
    {
      method: 'GET',
      path: /^\/info$/,
      handle: (ctx, r) =>
        sendJson(r.res, 200, {
          model_id: firstModel(ctx),
          model_sha: null,
          model_dtype: 'torch.float16',
          model_device_type: 'cuda',
          model_pipeline_tag: 'text-generation',
          max_concurrent_requests: ctx.config.maxSeqs + ctx.config.maxQueue,
          max_best_of: 2,
          max_stop_sequences: 4,
          max_input_tokens: 4095,
          max_total_tokens: 4096,
          validation_workers: 2,
          max_client_batch_size: 4,
          router: 'text-generation-router',
          version: '3.3.0-fuze-sim',
          sha: null,
          docker_label: null,
        }),
    },
  ],
}
