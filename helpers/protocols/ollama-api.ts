// Ollama's model-management API (tags, show, ps, version, create, delete, pull). Unlike generate(), these
// throw on failure: a fixture cannot go on without them, and the message says what to check.
import { asObject, errorText, num, str, type Json } from './observation.ts'
import { Transport } from './transport.ts'

export interface OllamaModel {
  name: string
  model: string
  size?: number
  digest?: string
  modifiedAt?: string
  details?: Json
}

export interface OllamaRunningModel extends OllamaModel {
  sizeVram?: number
  expiresAt?: string
}

export interface OllamaShow {
  /** `model_info` as returned, e.g. `llama.block_count`. */
  modelInfo: Json
  /** Modelfile PARAMETER lines as Ollama prints them. */
  parameters: string
  details: Json
  /** `<general.architecture>.block_count` when present (used for num_gpu candidates). */
  blockCount?: number
}

export interface OllamaApiOptions {
  /** Per-call deadline in ms (TIMEOUT_TAGS, default 10 s). create/pull take their own, longer one. */
  timeoutMs?: number
  headers?: Record<string, string>
}

export class OllamaApi {
  private readonly t: Transport
  private readonly timeoutMs: number
  private readonly base: string
  private readonly headers: Record<string, string>

  constructor(baseUrl: string, opts: OllamaApiOptions = {}) {
    this.t = new Transport(baseUrl, opts.headers ? { headers: opts.headers } : {})
    this.timeoutMs = opts.timeoutMs ?? 10_000
    this.base = baseUrl.replace(/\/+$/, '')
    this.headers = opts.headers ?? {}
  }

  async version(): Promise<string> {
    return str(await this.call('GET', '/api/version'), 'version') ?? 'unknown'
  }

  async tags(): Promise<OllamaModel[]> {
    const res = await this.call('GET', '/api/tags')
    return list(res.models).map(model)
  }

  async ps(): Promise<OllamaRunningModel[]> {
    const res = await this.call('GET', '/api/ps')
    return list(res.models).map((m) => {
      const out: OllamaRunningModel = model(m)
      const vram = num(m, 'size_vram')
      const exp = str(m, 'expires_at')
      if (vram !== undefined) out.sizeVram = vram
      if (exp !== undefined) out.expiresAt = exp
      return out
    })
  }

  async show(name: string): Promise<OllamaShow> {
    const res = await this.call('POST', '/api/show', { model: name })
    const modelInfo = asObject(res.model_info) ?? {}
    const arch = str(modelInfo, 'general.architecture')
    const out: OllamaShow = { modelInfo, parameters: str(res, 'parameters') ?? '', details: asObject(res.details) ?? {} }
    const blocks = arch !== undefined ? num(modelInfo, `${arch}.block_count`) : undefined
    if (blocks !== undefined) out.blockCount = blocks
    return out
  }

  /** Whether a model (or its `:latest` form) is listed by /api/tags. */
  async has(name: string): Promise<boolean> {
    const names = new Set((await this.tags()).flatMap((m) => [m.name, m.model]))
    return names.has(name) || (!name.includes(':') && names.has(`${name}:latest`))
  }

  /** Bake a variant: `from` plus Modelfile parameters (e.g. { num_gpu: 32 }). */
  async create(name: string, from: string, parameters: Record<string, unknown>, timeoutMs = 120_000): Promise<void> {
    await this.call('POST', '/api/create', { model: name, from, parameters, stream: false }, timeoutMs)
  }

  /** Whether the store already holds the blob `sha256:<hex>` (HEAD /api/blobs/…). */
  async hasBlob(digest: string): Promise<boolean> {
    return (await this.t.request('HEAD', `/api/blobs/${digest}`, undefined, this.timeoutMs)).status === 200
  }

  /** Upload a file as the blob `sha256:<hex>` (POST /api/blobs/…); the server checks the digest. */
  async pushBlob(digest: string, bytes: Buffer, timeoutMs = 600_000): Promise<void> {
    // raw bytes, not JSON: the one call the JSON transport cannot carry
    const where = `POST ${this.base}/api/blobs/${digest}`
    const res = await fetch(`${this.base}/api/blobs/${digest}`, {
      method: 'POST',
      body: new Uint8Array(bytes),
      headers: this.headers,
      signal: AbortSignal.timeout(timeoutMs),
    }).catch((cause: unknown) => {
      throw new Error(`${where} failed: ${(cause as Error).message}. Is the server running at ${this.base}?`, { cause })
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${where} answered HTTP ${res.status}: ${errorDetail(text)}`)
  }

  /** Create a model from uploaded files (`files`: file name → blob digest) with Modelfile parameters. */
  async createFromFiles(name: string, files: Record<string, string>, parameters: Record<string, unknown> = {}, timeoutMs = 600_000): Promise<void> {
    await this.call('POST', '/api/create', { model: name, files, parameters, stream: false }, timeoutMs)
  }

  async pull(name: string, timeoutMs = 3_600_000): Promise<void> {
    await this.call('POST', '/api/pull', { model: name, stream: false }, timeoutMs)
  }

  async delete(name: string): Promise<void> {
    await this.call('DELETE', '/api/delete', { model: name })
  }

  close(): Promise<void> {
    return this.t.close()
  }

  private async call(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<Json> {
    const res = await this.t.request(method, path, body, timeoutMs)
    const where = `${method} ${this.t.origin}${path}`
    if (res.status < 200 || res.status >= 300) throw new Error(`${where} answered HTTP ${res.status}: ${errorDetail(res.body)}`)
    if (res.body.trim() === '') return {}
    try {
      return asObject(JSON.parse(res.body)) ?? {}
    } catch (cause) {
      throw new Error(`${where} answered 200 with a body that is not JSON: ${res.body.slice(0, 200)}. Is this an Ollama server?`, {
        cause,
      })
    }
  }
}

/** The `error` of an Ollama error body, else an excerpt of the body. */
function errorDetail(body: string): string {
  let detail = body.slice(0, 300)
  try {
    detail = errorText(asObject(JSON.parse(body))?.error ?? detail)
  } catch {
    // not JSON: keep the raw excerpt
  }
  return detail || '(empty body)'
}

function list(v: unknown): Json[] {
  return Array.isArray(v) ? v.map(asObject).filter((m): m is Json => m !== undefined) : []
}

function model(m: Json): OllamaModel {
  const out: OllamaModel = { name: str(m, 'name') ?? str(m, 'model') ?? '', model: str(m, 'model') ?? str(m, 'name') ?? '' }
  const size = num(m, 'size')
  const digest = str(m, 'digest')
  const modified = str(m, 'modified_at')
  const details = asObject(m.details)
  if (size !== undefined) out.size = size
  if (digest !== undefined) out.digest = digest
  if (modified !== undefined) out.modifiedAt = modified
  if (details !== undefined) out.details = details
  return out
}
