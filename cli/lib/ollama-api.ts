// The few Ollama management calls the CLI needs (list, delete), with a timeout on every call.
export interface OllamaModel {
  name: string
  size?: number
  digest?: string
}

export function ollamaBase(host: string): string {
  return (/^https?:\/\//.test(host) ? host : `http://${host}`).replace(/\/+$/, '')
}

async function call(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })
  } catch (err) {
    const cause = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : ((err as { cause?: Error }).cause?.message ?? (err as Error).message)
    throw new Error(`cannot reach Ollama at ${url} (${cause}); start it or point OLLAMA_URL / --host at a running one`, { cause: err })
  }
}

export async function listModels(base: string, timeoutMs: number): Promise<OllamaModel[]> {
  const res = await call(`${base}/api/tags`, {}, timeoutMs)
  if (!res.ok) throw new Error(`Ollama at ${base} answered ${res.status} to /api/tags: ${(await res.text()).slice(0, 200)}`)
  const body = (await res.json()) as { models?: { name?: string; model?: string; size?: number; digest?: string }[] }
  if (!Array.isArray(body.models)) throw new Error(`Ollama at ${base} sent /api/tags without a "models" list`)
  return body.models.map((m) => ({ name: String(m.name ?? m.model), size: m.size, digest: m.digest }))
}

/** Deletes one tag; resolves to undefined on success, or the reason it failed. */
export async function deleteModel(base: string, name: string, timeoutMs: number): Promise<string | undefined> {
  try {
    // `model` is the current field, `name` the one older Ollama versions read.
    const res = await call(`${base}/api/delete`, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: name, name }) }, timeoutMs)
    if (res.ok) return undefined
    return `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`
  } catch (err) {
    return (err as Error).message
  }
}

/** Baked variant names look like `<ALIAS_PREFIX><alias><ALIAS_SUFFIX>-<gpu_label>-ng<N>` (SPEC §4). */
export function isBakedVariant(name: string, aliasPrefix: string): boolean {
  const bare = name.replace(/:latest$/, '')
  return /-ng\d+$/.test(bare) && (aliasPrefix === '' || bare.startsWith(aliasPrefix))
}
