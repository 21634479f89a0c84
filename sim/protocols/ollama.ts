// Ollama: NDJSON /api/generate and /api/chat with durations in ns, the model-management endpoints
// fixtures use (tags, show, ps, create, pull, delete, version) and the /v1 OpenAI compatibility layer.
import { createHash } from 'node:crypto'
import { runGenerate } from '../engine.ts'
import type { GenChunk, GenerateJob, GenInfo, SimContext, SimRequest, StreamEncoder } from '../job.ts'
import { BadRequest, intField, obj, sendJson, sendText, type ProtocolDef } from '../http.ts'
import { chatPromptText, promptTokenCount, tokenize } from '../tokenizer.ts'
import { GARBAGE, openaiJob } from './openai-wire.ts'

/** Ollama's num_predict -1 means "until EOS/context"; the sim caps that at this many tokens. */
export const UNBOUNDED_PREDICT = 128
const VERSION = '0.9.0'

const error = (_status: number, message: string) => JSON.stringify({ error: message })
const ns = (ms: number) => Math.round(ms * 1e6)
const line = (value: unknown) => `${JSON.stringify(value)}\n`
const digest = (name: string) => createHash('sha256').update(name).digest('hex')

function details() {
  return { parent_model: '', format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '8.0B', quantization_level: 'Q4_K_M' }
}

function modelName(body: Record<string, unknown>): string {
  const name = typeof body.model === 'string' ? body.model : typeof body.name === 'string' ? body.name : ''
  if (!name) throw new BadRequest('model is required')
  return name
}

/** Ollama names always carry a tag: a bare name is `<name>:latest` (what /api/tags and /api/ps list). */
const tagged = (name: string) => (/:[^/]*$/.test(name) ? name : `${name}:latest`)

/** The stored entry a name refers to (`x` and `x:latest` are the same model), or undefined. */
function storedName(ctx: SimContext, name: string): string | undefined {
  if (ctx.models.has(name)) return name
  for (const key of ctx.models.keys()) if (tagged(key) === tagged(name)) return key
  return undefined
}

function knownModel(ctx: SimContext, name: string): string {
  const key = storedName(ctx, name)
  if (key === undefined) throw new BadRequest(`model '${name}' not found`, 404)
  return key
}

/** Parameters of a model the sim serves from the start (what a library model's params layer holds). */
const DEFAULT_PARAMETERS = { stop: ['<|eot_id|>'] }

function finalFields(info: GenInfo): Record<string, unknown> {
  const base: Record<string, unknown> = { done: true, done_reason: info.finishReason }
  if (info.missingUsage) return base
  // rounded parts never add up to more than the rounded total (Ollama's total covers load, prompt and eval)
  const total = Math.max(ns(info.totalMs), ns(info.promptMs) + ns(info.decodeMs))
  return {
    ...base,
    total_duration: total,
    load_duration: ns(info.loadMs),
    prompt_eval_count: info.promptTokens,
    prompt_eval_duration: ns(info.promptMs),
    eval_count: info.reportedOutputTokens,
    eval_duration: ns(info.decodeMs),
  }
}

/** The final generate line's `context`: the prompt's ids (Ollama leaves BOS out) followed by the output's. */
const context = (promptIds: number[], info: GenInfo) => [...promptIds, ...info.ids]

function encoder(kind: 'generate' | 'chat', promptIds: number[]): StreamEncoder {
  const head = (info: GenInfo) => ({ model: info.model, created_at: info.createdAt })
  const body = (text: string, reasoning: boolean) =>
    kind === 'generate'
      ? reasoning
        ? { response: '', thinking: text }
        : { response: text }
      : { message: reasoning ? { role: 'assistant', content: '', thinking: text } : { role: 'assistant', content: text } }
  const event = (c: GenChunk | undefined, info: GenInfo) => ({ ...head(info), ...body(c?.text ?? '', c?.reasoning ?? false), done: false })
  return {
    contentType: 'application/x-ndjson',
    ...(kind === 'chat' ? { roleOnly: (info: GenInfo) => line({ ...head(info), message: { role: 'assistant', content: '' }, done: false }) } : {}),
    chunk: (c, info) => line(event(c, info)),
    empty: (info) => line(event(undefined, info)),
    final: (info) =>
      line({
        ...head(info),
        ...body('', false),
        ...finalFields(info),
        ...(kind === 'generate' && !info.missingUsage ? { context: context(promptIds, info) } : {}),
      }),
    garbage: () => `${GARBAGE}\n`,
    truncated: (c, info) => {
      const json = JSON.stringify(event(c, info))
      return `${json.slice(0, Math.floor(json.length / 2))}\n`
    },
  }
}

function whole(kind: 'generate' | 'chat', promptIds: number[], info: GenInfo): string {
  const head = { model: info.model, created_at: info.createdAt }
  const reasoning = info.reasoningText ? { thinking: info.reasoningText } : {}
  const content = kind === 'generate' ? { response: info.text, ...reasoning } : { message: { role: 'assistant', content: info.text, ...reasoning } }
  return JSON.stringify({
    ...head,
    ...content,
    ...finalFields(info),
    ...(kind === 'generate' && !info.missingUsage ? { context: context(promptIds, info) } : {}),
  })
}

function job(ctx: SimContext, r: SimRequest, kind: 'generate' | 'chat'): GenerateJob {
  const body = obj(r.body)
  // Ollama echoes the name as asked (`x`, not `x:latest`) in every line
  const model = modelName(body)
  knownModel(ctx, model)
  if (kind === 'chat' && !Array.isArray(body.messages)) throw new BadRequest("'messages' must be an array of {role, content}")
  const options = obj(body.options)
  const promptIds = kind === 'generate' && typeof body.prompt === 'string' ? tokenize(body.prompt) : []
  let maxTokens = intField(options.num_predict, 'options.num_predict', -1)
  if (maxTokens < 0) maxTokens = UNBOUNDED_PREDICT
  return {
    promptTokens: kind === 'chat' ? tokenize(chatPromptText(body.messages)).length : promptTokenCount(body.prompt ?? ''),
    maxTokens,
    minTokens: 0,
    ignoreEos: false,
    stream: body.stream !== false,
    includeUsage: true,
    model,
    reasoning: true,
    encoder: encoder(kind, promptIds),
    whole: (info) => whole(kind, promptIds, info),
    error,
    ...(body.options !== undefined ? { options } : {}),
  }
}

/** create/pull answer with progress lines ending in success (or one object when stream is false). */
function progress(r: SimRequest, statuses: string[]): void {
  if (obj(r.body).stream === false) return sendJson(r.res, 200, { status: 'success' })
  r.res.writeHead(200, { 'content-type': 'application/x-ndjson' })
  r.res.end([...statuses, 'success'].map((status) => line({ status })).join(''))
}

function parametersText(parameters: Record<string, unknown> | undefined): string {
  const entries = Object.entries(parameters ?? DEFAULT_PARAMETERS)
  return entries
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k.padEnd(30)} ${typeof x === 'string' ? JSON.stringify(x) : String(x)}`))
    .join('\n')
}

/** `ollama show --modelfile` text: FROM the model's blob, then one PARAMETER line per parameter value. */
function modelfile(name: string, parameters: string): string {
  const lines = parameters ? parameters.split('\n').map((l) => `PARAMETER ${l.replace(/\s+/, ' ')}`) : []
  return [
    '# Modelfile generated by "ollama show"',
    '# To build a new Modelfile based on this, replace FROM with:',
    `# FROM ${name}`,
    '',
    `FROM /sim/blobs/sha256-${digest(name)}`,
    'TEMPLATE {{ .Prompt }}',
    ...lines,
    '',
  ].join('\n')
}

function modelEntry(ctx: SimContext, name: string) {
  const m = ctx.models.get(name)!
  return { name: tagged(name), model: tagged(name), modified_at: m.createdAt, size: 4_920_753_328, digest: digest(name), details: details() }
}

/** /api/tags order: newest first (by modified_at), as Ollama sorts its store listing. */
function newestFirst(ctx: SimContext): string[] {
  return [...ctx.models.entries()].sort(([, a], [, b]) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0)).map(([n]) => n)
}

export const ollama: ProtocolDef = {
  error,
  loading: () => ({ status: 503, body: error(503, 'server is starting') }),
  routes: [
    { method: 'GET', path: /^\/$/, handle: (_ctx, r) => sendText(r.res, 200, 'Ollama is running') },
    { method: 'POST', path: /^\/api\/generate$/, handle: (ctx, r) => runGenerate(ctx, r, job(ctx, r, 'generate')) },
    { method: 'POST', path: /^\/api\/chat$/, handle: (ctx, r) => runGenerate(ctx, r, job(ctx, r, 'chat')) },
    { method: 'GET', path: /^\/api\/version$/, handle: (_ctx, r) => sendJson(r.res, 200, { version: VERSION }) },
    { method: 'GET', path: /^\/api\/tags$/, handle: (ctx, r) => sendJson(r.res, 200, { models: newestFirst(ctx).map((n) => modelEntry(ctx, n)) }) },
    {
      method: 'GET',
      path: /^\/api\/ps$/,
      handle: (ctx, r) => {
        const expires = new Date(Date.now() + 5 * 60_000).toISOString()
        const names = new Set([...ctx.loaded].map((n) => storedName(ctx, n)).filter((n) => n !== undefined))
        // like Ollama: a running model has no modified_at, but its context length
        const models = [...names].map((n) => {
          const { modified_at: _, ...entry } = modelEntry(ctx, n)
          return { ...entry, expires_at: expires, size_vram: 4_920_753_328, context_length: 4096 }
        })
        sendJson(r.res, 200, { models })
      },
    },
    {
      method: 'POST',
      path: /^\/api\/show$/,
      handle: (ctx, r) => {
        const name = knownModel(ctx, modelName(obj(r.body)))
        const m = ctx.models.get(name)!
        const parameters = parametersText(m.parameters)
        // like Ollama: empty license/parameters are left out; parent_model is the tagged name a variant was created from
        sendJson(r.res, 200, {
          modelfile: modelfile(tagged(name), parameters),
          ...(parameters ? { parameters } : {}),
          template: '{{ .Prompt }}',
          details: { ...details(), ...(m.from ? { parent_model: tagged(m.from) } : {}) },
          model_info: {
            'general.architecture': 'llama',
            'general.parameter_count': 8_030_261_248,
            'general.file_type': 15,
            'llama.block_count': ctx.config.blockCount,
            'llama.context_length': 8192,
            'llama.embedding_length': 4096,
            'llama.attention.head_count': 32,
            'llama.attention.head_count_kv': 8,
          },
          capabilities: ['completion'],
          modified_at: m.createdAt,
        })
      },
    },
    {
      method: 'POST',
      path: /^\/api\/create$/,
      handle: (ctx, r) => {
        const body = obj(r.body)
        const name = modelName(body)
        const from = typeof body.from === 'string' ? storedName(ctx, body.from) : undefined
        // like Ollama: a `from` it does not have is pulled first, and the sim has no registry to pull from
        if (typeof body.from === 'string' && from === undefined) throw new BadRequest('pull model manifest: file does not exist', 500)
        const parameters = body.parameters === undefined ? undefined : obj(body.parameters)
        // Ollama merges the given parameters over the base model's (server/create.go setParameters): a baked num_gpu keeps the base's stop
        const base = from ? (ctx.models.get(from)?.parameters ?? DEFAULT_PARAMETERS) : undefined
        const key = storedName(ctx, name) ?? tagged(name)
        ctx.models.set(key, { parameters: base || parameters ? { ...base, ...parameters } : undefined, from, createdAt: new Date().toISOString() })
        progress(r, [`using existing layer sha256:${digest(from ?? name)}`, 'writing manifest'])
      },
    },
    {
      method: 'POST',
      path: /^\/api\/pull$/,
      handle: (ctx, r) => {
        const name = modelName(obj(r.body))
        if (storedName(ctx, name) === undefined) ctx.models.set(tagged(name), { createdAt: new Date().toISOString() })
        progress(r, ['pulling manifest', 'verifying sha256 digest', 'writing manifest'])
      },
    },
    {
      method: 'DELETE',
      path: /^\/api\/delete$/,
      handle: (ctx, r) => {
        const name = knownModel(ctx, modelName(obj(r.body)))
        ctx.models.delete(name)
        ctx.loaded.delete(name)
        sendText(r.res, 200, '')
      },
    },
    { method: 'POST', path: /^\/v1\/completions$/, handle: (ctx, r) => runGenerate(ctx, r, openaiJob(ctx, r, 'completions', 'vllm', error)) },
    { method: 'POST', path: /^\/v1\/chat\/completions$/, handle: (ctx, r) => runGenerate(ctx, r, openaiJob(ctx, r, 'chat', 'vllm', error)) },
    {
      method: 'GET',
      path: /^\/v1\/models$/,
      // like Ollama: tagged ids, newest first, only id/object/created/owned_by
      handle: (ctx, r) =>
        sendJson(r.res, 200, {
          object: 'list',
          data: newestFirst(ctx).map((n) => ({
            id: tagged(n),
            object: 'model',
            created: Math.floor(Date.parse(ctx.models.get(n)!.createdAt) / 1000),
            owned_by: 'library',
          })),
        }),
    },
  ],
}
