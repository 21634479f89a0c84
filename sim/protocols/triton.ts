// Triton Inference Server with the generate extension (TensorRT-LLM / vLLM backends):
// /v2/models/<m>/generate[_stream], health, model readiness and the repository index.
import { runGenerate } from '../engine.ts'
import type { GenChunk, GenerateJob, GenInfo, SimContext, SimRequest, StreamEncoder } from '../job.ts'
import { BadRequest, boolField, intField, obj, sendJson, sendText, type ProtocolDef } from '../http.ts'
import { promptTokenCount } from '../tokenizer.ts'
import { DEFAULT_MAX_TOKENS, GARBAGE } from './openai-wire.ts'

const error = (_status: number, message: string) => JSON.stringify({ error: message })
const sse = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`
const MODEL = '([^/]+)(?:/versions/([^/]+))?'

function model(ctx: SimContext, name: string): string {
  const decoded = decodeURIComponent(name)
  if (!ctx.models.has(decoded)) throw new BadRequest(`Request for unknown model: '${decoded}' is not found`, 400)
  return decoded
}

function encoder(version: string): StreamEncoder {
  const event = (c: GenChunk | undefined, info: GenInfo) => ({ model_name: info.model, model_version: version, text_output: c?.text ?? '' })
  return {
    contentType: 'text/event-stream',
    chunk: (c, info) => sse(event(c, info)),
    empty: (info) => sse(event(undefined, info)),
    final: () => '',
    garbage: () => `data: ${GARBAGE}\n\n`,
    truncated: (c, info) => {
      const json = JSON.stringify(event(c, info))
      return `data: ${json.slice(0, Math.floor(json.length / 2))}\n\n`
    },
  }
}

function job(ctx: SimContext, r: SimRequest, stream: boolean): GenerateJob {
  const name = model(ctx, r.params[0])
  const version = r.params[1] ?? '1'
  const body = obj(r.body)
  if (typeof body.text_input !== 'string') throw new BadRequest("'text_input' must be a string")
  const parameters = obj(body.parameters)
  const maxTokens = intField(body.max_tokens ?? parameters.max_tokens, 'max_tokens', DEFAULT_MAX_TOKENS)
  if (maxTokens < 0) throw new BadRequest(`'max_tokens' must be >= 0, got ${maxTokens}`)
  return {
    promptTokens: promptTokenCount(body.text_input),
    maxTokens,
    minTokens: intField(parameters.min_tokens, 'min_tokens', 0),
    ignoreEos: boolField(body.ignore_eos ?? parameters.ignore_eos, false),
    stream,
    includeUsage: true,
    model: name,
    reasoning: false,
    encoder: encoder(version),
    whole: (info) => JSON.stringify({ model_name: info.model, model_version: version, text_output: info.text }),
    error,
  }
}

export const triton: ProtocolDef = {
  error,
  loading: () => ({ status: 503, body: error(503, 'Server not ready') }),
  routes: [
    { method: 'POST', path: new RegExp(`^/v2/models/${MODEL}/generate_stream$`), handle: (ctx, r) => runGenerate(ctx, r, job(ctx, r, true)) },
    { method: 'POST', path: new RegExp(`^/v2/models/${MODEL}/generate$`), handle: (ctx, r) => runGenerate(ctx, r, job(ctx, r, false)) },
    { method: 'GET', path: /^\/v2\/health\/(ready|live)$/, handle: (_ctx, r) => sendText(r.res, 200, '') },
    {
      method: 'GET',
      path: new RegExp(`^/v2/models/${MODEL}/ready$`),
      handle: (ctx, r) => {
        model(ctx, r.params[0])
        sendText(r.res, 200, '')
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^/v2/models/${MODEL}$`),
      handle: (ctx, r) => {
        const name = model(ctx, r.params[0])
        sendJson(r.res, 200, {
          name,
          versions: ['1'],
          platform: 'ensemble',
          inputs: [
            { name: 'text_input', datatype: 'BYTES', shape: [-1] },
            { name: 'max_tokens', datatype: 'INT32', shape: [-1] },
          ],
          outputs: [{ name: 'text_output', datatype: 'BYTES', shape: [-1] }],
        })
      },
    },
    {
      method: 'GET',
      path: /^\/v2$/,
      handle: (_ctx, r) => sendJson(r.res, 200, { name: 'triton', version: '2.50.0', extensions: ['classification', 'model_repository', 'generate'] }),
    },
    {
      method: 'POST',
      path: /^\/v2\/repository\/index$/,
      handle: (ctx, r) =>
        sendJson(
          r.res,
          200,
          [...ctx.models.keys()].map((name) => ({ name, version: '1', state: 'READY' })),
        ),
    },
  ],
}
