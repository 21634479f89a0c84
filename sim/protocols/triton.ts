// Triton Inference Server with the generate extension (TensorRT-LLM ensemble / vLLM backend models):
// /v2/models/<m>/generate[_stream], health, model readiness and the repository index. Shapes and errors as
// tritonserver 2.51 answers them (checked against the real server with a decoupled Python-backend model):
// - generate_stream is SSE (`text/event-stream; charset=utf-8`), one `data:` event per model response, each holding
//   every output tensor by name (`text_output`); no end marker: the body ends after the model's final flag.
// - the model streams only when asked (`stream: true`, as the TensorRT-LLM and vLLM backends read it); without it
//   generate_stream carries one event with the whole text. /generate needs exactly one response: a streaming
//   request there answers HTTP 200 with an error object.
// - body fields that are not model inputs become request parameters (int, bool, string or number only);
//   `parameters` is merged in. Errors are `{"error": "..."}`: 404 for an unknown model or version, 500 for a body
//   Triton cannot parse into tensors, 400 for a parameter of the wrong type.
import { runGenerate } from '../engine.ts'
import type { GenChunk, GenerateJob, GenInfo, SimContext, SimRequest, StreamEncoder } from '../job.ts'
import { BadRequest, boolField, obj, sendJson, sendText, type ProtocolDef } from '../http.ts'
import { promptTokenCount } from '../tokenizer.ts'
import { DEFAULT_MAX_TOKENS, GARBAGE } from './openai-wire.ts'

const error = (_status: number, message: string) => JSON.stringify({ error: message })
const sse = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`
const SSE_TYPE = 'text/event-stream; charset=utf-8'
const MODEL = '([^/]+)(?:/versions/([^/]+))?'
/** Model inputs of the simulated models (TensorRT-LLM ensemble names): these fields become tensors, not parameters. */
const INPUTS = new Set(['text_input', 'max_tokens', 'bad_words', 'stop_words', 'end_id', 'pad_id'])
const ONE_RESPONSE = 'generate expects model to produce exactly 1 response, use generate stream for model that generates various number of responses'

/** The model (and version) a URL names; Triton's 404 for either when unknown. */
function model(ctx: SimContext, r: SimRequest): { name: string; version: string } {
  const name = decodeURIComponent(r.params[0])
  const version = r.params[1] === undefined ? '1' : decodeURIComponent(r.params[1])
  if (!ctx.models.has(name)) throw new BadRequest(`Request for unknown model: '${name}' is not found`, 404)
  if (version !== '1') throw new BadRequest(`Request for unknown model: '${name}' version ${version} is not found`, 404)
  return { name, version }
}

/** A parameter value Triton accepts (its message names int, bool and string; numbers pass too). */
function checkParameter(key: string, value: unknown, where: string): void {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return
  throw new BadRequest(`${where}parameter '${key}' has invalid type. It should be either 'int', 'bool', or 'string'.`)
}

/** A BYTES input: a string or a one-element array of strings. */
function textInput(value: unknown): string {
  if (value === undefined) throw new BadRequest("'text_input' is required")
  const v = Array.isArray(value) && value.length === 1 ? value[0] : value
  if (typeof v !== 'string') throw new BadRequest('Unable to parse JSON bytes array: attempt to access JSON non-string as string', 500)
  return v
}

/** An INT32 input: an integer or a one-element array of one. */
function intInput(value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  const v = Array.isArray(value) && value.length === 1 ? value[0] : value
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new BadRequest("Unable to parse 'data': attempt to access JSON non-signed-integer as signed-integer", 500)
  return v
}

/** The request's parameters: top-level fields that are not inputs, then `parameters` (Triton checks both). */
function parametersOf(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(body)) {
    if (k === 'parameters' || INPUTS.has(k)) continue
    checkParameter(k, v, '')
    out[k] = v
  }
  if (body.parameters !== undefined) {
    if (typeof body.parameters !== 'object' || body.parameters === null || Array.isArray(body.parameters))
      throw new BadRequest("Expected JSON object for keyword: 'parameters': attempt to access JSON non-object as object", 500)
    for (const [k, v] of Object.entries(body.parameters)) {
      checkParameter(k, v, "Converting keyword: 'parameters': ")
      out[k] = v
    }
  }
  return out
}

function encoder(version: string): StreamEncoder {
  const event = (c: GenChunk | undefined, info: GenInfo) => ({ model_name: info.model, model_version: version, text_output: c?.text ?? '' })
  return {
    contentType: SSE_TYPE,
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

function job(ctx: SimContext, r: SimRequest, endpointStreams: boolean): GenerateJob {
  const { name, version } = model(ctx, r)
  if (r.body === null) throw new BadRequest('failed to parse the request JSON buffer: The document is empty. at 0', 500)
  if (typeof r.body !== 'object' || Array.isArray(r.body)) throw new BadRequest('attempt to get members for non-object', 500)
  const body = obj(r.body)
  const params = parametersOf(body)
  const text = textInput(body.text_input)
  const maxTokens = intInput(body.max_tokens ?? params.max_tokens, DEFAULT_MAX_TOKENS)
  if (maxTokens < 0) throw new BadRequest(`'max_tokens' must be >= 0, got ${maxTokens}`)
  // the model streams token by token only when asked; otherwise it answers once, with the whole text
  const streamed = boolField(params.stream, false)
  const whole = (info: GenInfo) => JSON.stringify({ model_name: info.model, model_version: version, text_output: info.text })
  return {
    promptTokens: promptTokenCount(text),
    maxTokens,
    minTokens: intInput(params.min_tokens, 0),
    ignoreEos: boolField(params.ignore_eos, false),
    stream: endpointStreams && streamed,
    includeUsage: true,
    model: name,
    reasoning: false,
    encoder: encoder(version),
    ...(endpointStreams
      ? { whole: (info: GenInfo) => `data: ${whole(info)}\n\n`, wholeContentType: SSE_TYPE }
      : { whole: (info: GenInfo) => (streamed && info.outputTokens > 1 ? error(200, ONE_RESPONSE) : whole(info)) }),
    error,
  }
}

export const triton: ProtocolDef = {
  error,
  loading: () => ({ status: 503, body: error(503, 'Server not ready') }),
  routes: [
    { method: 'POST', path: new RegExp(`^/v2/models/${MODEL}/generate_stream$`), handle: (ctx, r) => runGenerate(ctx, r, job(ctx, r, true)) },
    { method: 'POST', path: new RegExp(`^/v2/models/${MODEL}/generate$`), handle: (ctx, r) => runGenerate(ctx, r, job(ctx, r, false)) },
    {
      method: 'POST',
      path: new RegExp(`^/v2/models/${MODEL}/infer$`),
      handle: (ctx, r) => {
        model(ctx, r)
        sendText(r.res, 501, error(501, "HTTP end point doesn't support models with decoupled transaction policy"), 'text/plain')
      },
    },
    { method: 'GET', path: /^\/v2\/health\/(ready|live)$/, handle: (_ctx, r) => sendText(r.res, 200, '', 'text/plain') },
    {
      method: 'GET',
      path: new RegExp(`^/v2/models/${MODEL}/ready$`),
      handle: (ctx, r) => {
        const known = ctx.models.has(decodeURIComponent(r.params[0])) && (r.params[1] ?? '1') === '1'
        if (known) sendText(r.res, 200, '', 'text/plain')
        else sendText(r.res, 400, error(400, 'Model version not ready'), 'text/plain')
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^/v2/models/${MODEL}$`),
      handle: (ctx, r) => {
        const { name } = model(ctx, r)
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
      handle: (_ctx, r) =>
        sendJson(r.res, 200, {
          name: 'triton',
          version: '2.51.0',
          extensions: [
            'classification',
            'sequence',
            'model_repository',
            'model_repository(unload_dependents)',
            'schedule_policy',
            'model_configuration',
            'system_shared_memory',
            'cuda_shared_memory',
            'binary_tensor_data',
            'parameters',
            'statistics',
            'trace',
            'logging',
          ],
        }),
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
