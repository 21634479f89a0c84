// A raw HTTP client for simulator tests: records the epoch time of every read (the same clock the
// simulator's truth uses) and splits SSE / NDJSON bodies into events, with no protocol knowledge.
import { request, type IncomingHttpHeaders } from 'node:http'
import { performance } from 'node:perf_hooks'

export interface RawRead {
  t: number
  text: string
}

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  body: string
  reads: RawRead[]
  /** Set when the connection broke before the response ended. */
  error?: string
}

export interface RawOptions {
  method?: string
  body?: unknown
  headers?: Record<string, string>
  /** Called on every read; return true to abort the request (e.g. once a stall is observed). */
  onRead?: (read: RawRead, soFar: RawRead[]) => boolean
}

export const now = () => performance.timeOrigin + performance.now()

export function raw(url: string, opts: RawOptions = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body)
    const req = request(
      url,
      {
        method: opts.method ?? (payload ? 'POST' : 'GET'),
        headers: { 'content-type': 'application/json', ...(payload ? { 'content-length': String(Buffer.byteLength(payload)) } : {}), ...opts.headers },
      },
      (res) => {
        const reads: RawRead[] = []
        res.setEncoding('utf8')
        let settled = false
        const done = (error?: string) => {
          if (settled) return
          settled = true
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: reads.map((r) => r.text).join(''), reads, ...(error ? { error } : {}) })
        }
        res.on('data', (text: string) => {
          const read = { t: now(), text }
          reads.push(read)
          if (opts.onRead?.(read, reads)) {
            req.destroy()
            done('aborted by test')
          }
        })
        res.on('end', () => done())
        res.on('error', (e) => done(e.message))
        res.on('aborted', () => done('aborted'))
        res.on('close', () => done(res.complete ? undefined : 'closed before the end of the response'))
      },
    )
    req.on('error', reject)
    req.end(payload)
  })
}

export async function json<T = Record<string, unknown>>(
  url: string,
  opts: RawOptions = {},
): Promise<{ status: number; value: T; headers: IncomingHttpHeaders }> {
  const r = await raw(url, opts)
  return { status: r.status, value: (r.body ? JSON.parse(r.body) : null) as T, headers: r.headers }
}

/** SSE: the payload of every `data:` event, in order (comments and blank lines dropped). */
export function sseData(body: string): string[] {
  return body
    .split('\n\n')
    .filter((block) => block.startsWith('data:'))
    .map((block) => block.replace(/^data: ?/, ''))
}

export function ndjson(body: string): string[] {
  return body.split('\n').filter((l) => l.length > 0)
}

/** Arrival time of each complete event (SSE block or NDJSON line): the read that completed it. */
export function eventArrivals(reads: RawRead[], separator: '\n\n' | '\n'): Array<{ t: number; event: string }> {
  const out: Array<{ t: number; event: string }> = []
  let buf = ''
  for (const r of reads) {
    buf += r.text
    let i: number
    while ((i = buf.indexOf(separator)) >= 0) {
      const event = buf.slice(0, i)
      buf = buf.slice(i + separator.length)
      if (event.length > 0) out.push({ t: r.t, event })
    }
  }
  return out
}
