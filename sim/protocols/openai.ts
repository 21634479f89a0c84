// vLLM / SGLang style OpenAI server: completions, chat, models, health, Prometheus metrics, tokenize.
import { runGenerate } from '../engine.ts'
import { BadRequest, firstModel, obj, sendJson, sendText, type ProtocolDef } from '../http.ts'
import { chatPromptText, tokenize } from '../tokenizer.ts'
import { modelList, openaiJob } from './openai-wire.ts'

const TYPES: Record<number, string> = { 400: 'BadRequestError', 404: 'NotFoundError', 500: 'InternalServerError', 503: 'ServiceUnavailableError' }

function error(status: number, message: string): string {
  return JSON.stringify({ object: 'error', message, type: TYPES[status] ?? 'Error', param: null, code: status })
}

export const openai: ProtocolDef = {
  error,
  loading: () => ({ status: 503, body: error(503, 'the server is starting up') }),
  routes: [
    { method: 'POST', path: /^\/v1\/completions$/, handle: (ctx, r) => runGenerate(ctx, r, openaiJob(ctx, r, 'completions', 'vllm', error)) },
    { method: 'POST', path: /^\/v1\/chat\/completions$/, handle: (ctx, r) => runGenerate(ctx, r, openaiJob(ctx, r, 'chat', 'vllm', error)) },
    { method: 'GET', path: /^\/v1\/models$/, handle: (ctx, r) => sendJson(r.res, 200, modelList(ctx, 'vllm')) },
    { method: 'GET', path: /^\/health$/, handle: (_ctx, r) => sendText(r.res, 200, '') },
    { method: 'GET', path: /^\/version$/, handle: (_ctx, r) => sendJson(r.res, 200, { version: '0.0.0-fuze-sim' }) },
    {
      method: 'GET',
      path: /^\/metrics$/,
      handle: (ctx, r) =>
        sendText(
          r.res,
          200,
          ctx.metrics.render(firstModel(ctx), ctx.admission, ctx.admission.active / ctx.config.maxSeqs),
          'text/plain; version=0.0.4; charset=utf-8',
        ),
    },
    {
      method: 'POST',
      path: /^\/tokenize$/,
      handle: (_ctx, r) => {
        const body = obj(r.body)
        const text = typeof body.prompt === 'string' ? body.prompt : Array.isArray(body.messages) ? chatPromptText(body.messages) : undefined
        if (text === undefined) throw new BadRequest("'prompt' (string) or 'messages' is required")
        const tokens = tokenize(text)
        sendJson(r.res, 200, { count: tokens.length, max_model_len: 4096, tokens, token_strs: null })
      },
    },
  ],
}
