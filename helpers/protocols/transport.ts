// One HTTP streaming transport for every protocol: an undici Pool per origin (keep-alive), driven through
// the low-level dispatch API so each read arrives as a Buffer in a callback (no stream/iterator layers
// between the socket and the timestamp). Every way a request can end becomes an Outcome, never a throw.
import { setMaxListeners } from 'node:events'
import { performance } from 'node:perf_hooks'
import { Pool, type Dispatcher } from 'undici'
import { ConnectStock } from './connect-stock.ts'
import { waitUntil } from '../load/clock.ts'
import type { Outcome, StreamObservation } from '../types.ts'
import type { ObservationBuilder } from './observation.ts'
import { FuzeError } from '../errors.ts'

/** Byte consumer for one response body (an SSE or NDJSON splitter wired to a protocol handler). */
export interface WireParser {
  feed(chunk: Buffer, t: number): void
  end(t: number): void
}

export interface StreamRequest {
  path: string
  body: string
  /** Media type the protocol streams with; anything else is a protocol_error. */
  mediaType: 'text/event-stream' | 'application/x-ndjson'
  requestId: string
  timeoutMs: number
  stallMs?: number
  signal?: AbortSignal
  /** Write it at this performance.now(), not before (an open loop's request, built ahead of its due time). */
  sendAt?: number
  obs: ObservationBuilder
  parser: WireParser
  /** How the protocol marks a complete stream, for the 'disconnect' message; undefined = a clean body end is complete (Triton). */
  endMarker: string | undefined
}

export interface TransportOptions {
  /** Max sockets to the origin; default unlimited so the client never queues requests behind its own pool. */
  connections?: number
  headers?: Record<string, string>
}

export interface SimpleResponse {
  status: number
  contentType: string
  body: string
}

const EXCERPT_CHARS = 500
// Bytes read from an error body before we stop: enough for 500 characters of multi-byte text.
const EXCERPT_BYTES = EXCERPT_CHARS * 4

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT'])

/** Reason objects for aborts we start ourselves, so onResponseError can tell them from network errors. */
class OwnAbort extends FuzeError {
  constructor(
    readonly outcome: Outcome,
    message: string,
  ) {
    super(message)
  }
}

export class Transport {
  readonly origin: string
  private readonly prefix: string
  private readonly pool: Pool
  private readonly stock: ConnectStock
  private readonly headers: Record<string, string>

  constructor(baseUrl: string, opts: TransportOptions = {}) {
    let url: URL
    try {
      url = new URL(baseUrl)
    } catch (cause) {
      throw new Error(`protocol client: "${baseUrl}" is not a URL. Give the server's base URL, e.g. http://127.0.0.1:8080 (the <STACK>_URL setting).`, {
        cause,
      })
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`protocol client: "${baseUrl}" must be an http:// or https:// URL (the <STACK>_URL setting).`)
    this.origin = url.origin
    // A base path (a proxy mount such as http://gw/llm) is kept in front of every protocol path.
    this.prefix = url.pathname.replace(/\/+$/, '')
    this.stock = new ConnectStock({
      // what undici's Client passes its connector (IPv6 brackets dropped; the TLS server name derived from host)
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      host: url.host,
      protocol: url.protocol,
      port: url.port || (url.protocol === 'https:' ? '443' : '80'),
    })
    this.pool = new Pool(this.origin, { connections: opts.connections ?? null, connect: this.stock.connect })
    this.headers = opts.headers ?? {}
  }

  stream(r: StreamRequest): Promise<StreamObservation> {
    return new Promise((resolve) => {
      const send = (): void => {
        this.pool.dispatch(
          {
            origin: this.origin,
            path: this.prefix + r.path,
            method: 'POST',
            body: r.body,
            headers: {
              'content-type': 'application/json',
              accept: r.mediaType,
              ...this.headers,
              'x-request-id': r.requestId,
            },
            // The request deadline covers waiting for headers (Ollama sends them with the first token) and
            // the stall check is ours: undici's bodyTimeout ticks in ~0.5 s steps.
            headersTimeout: 0,
            bodyTimeout: 0,
          },
          handler,
        )
      }
      const handler = new StreamHandler(r, `${this.origin}${this.prefix}${r.path}`, resolve, send)
      const go = (): void => {
        if (r.signal?.aborted) return handler.abortWith('aborted', 'cancelled before it was sent')
        handler.arm()
        send()
        // an open loop's request is on a connection now: if that was the last free one, the next arrival's is
        // opened while nothing is due (connect-stock.ts)
        if (r.sendAt !== undefined) this.prime()
      }
      if (r.sendAt !== undefined && r.sendAt > performance.now()) void waitUntil(r.sendAt, r.signal).then(go)
      else go()
    })
  }

  /** A small non-streaming request (metadata calls), with its own deadline. Throws with a clear message on failure. */
  async request(method: string, path: string, body: unknown, timeoutMs: number): Promise<SimpleResponse> {
    const where = `${method} ${this.origin}${this.prefix}${path}`
    try {
      const res = await this.pool.request({
        path: this.prefix + path,
        method: method as Dispatcher.HttpMethod,
        headers: { ...this.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? null : JSON.stringify(body),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      })
      const text = await res.body.text()
      const ct = res.headers['content-type']
      return { status: res.statusCode, contentType: Array.isArray(ct) ? (ct[0] ?? '') : (ct ?? ''), body: text }
    } catch (cause) {
      const code = errorCode(cause)
      const why =
        code === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT'
          ? `no answer within ${timeoutMs} ms (raise TIMEOUT_TAGS)`
          : `${code ?? 'error'}: ${(cause as Error).message}`
      throw new Error(`${where} failed: ${why}. Is the server running at ${this.origin}? Check the <STACK>_URL setting.`, { cause })
    }
  }

  /** When every connection is busy, open one now for the next request (connect-stock.ts). */
  prime(): void {
    if (this.pool.stats.free === 0) this.stock.prime()
  }

  /** Open connections until `n` are free for the next requests (before a measured phase: no request connects in it). */
  async preconnect(n: number): Promise<void> {
    await this.stock.fill(n - this.pool.stats.free)
  }

  /** Connections primed, taken by a request, and closed unused. */
  get primed(): Readonly<ConnectStock['counts']> {
    return this.stock.counts
  }

  async close(): Promise<void> {
    this.stock.close()
    await this.pool.close()
  }
}

function resolveLater(resolve: (o: StreamObservation) => void, obs: StreamObservation): void {
  setImmediate(resolve, obs)
}

function errorCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined
  const o = e as { code?: unknown; name?: unknown; cause?: unknown }
  if (typeof o.code === 'string') return o.code
  if (o.name === 'TimeoutError' || o.name === 'AbortError') return o.name
  return errorCode(o.cause)
}

class StreamHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null
  private settled = false
  private tSend: number
  private tHeaders: number | undefined = undefined
  private status: number | undefined = undefined
  private mode: 'headers' | 'stream' | 'excerpt' = 'headers'
  private excerptParts: Buffer[] = []
  private excerptBytes = 0
  private timer: NodeJS.Timeout | undefined = undefined
  private stallTimer: NodeJS.Timeout | undefined = undefined
  private lastData = 0
  private readonly onSignal = (): void => this.abortWith('aborted', 'cancelled by the caller')

  constructor(
    private readonly r: StreamRequest,
    private readonly url: string,
    private readonly resolve: (o: StreamObservation) => void,
    private readonly resend?: () => void,
  ) {
    this.tSend = performance.now()
  }

  private resent = false

  arm(): void {
    this.timer = setTimeout(
      () =>
        this.abortWith(
          'timeout',
          `no complete response from POST ${this.url} within ${this.r.timeoutMs} ms (request deadline; raise TIMEOUT_GEN or lower BENCH_NUM_PREDICT)`,
        ),
      this.r.timeoutMs,
    )
    const signal = this.r.signal
    if (signal !== undefined) {
      // One case-wide signal is shared by every concurrent request: hundreds of listeners are expected.
      setMaxListeners(0, signal)
      signal.addEventListener('abort', this.onSignal, { once: true })
    }
  }

  abortWith(outcome: Outcome, error: string): void {
    if (this.settled) return
    this.settle(outcome, error, performance.now())
    // Not on a socket yet: onRequestStart aborts it as soon as undici hands us the controller.
    this.controller?.abort(new OwnAbort(outcome, error))
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.settled) return controller.abort(new OwnAbort('aborted', 'settled before it was sent'))
    // Sent = the moment the request goes onto a connected socket: pool waits and TCP connect are not TTFT.
    this.tSend = performance.now()
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return // 1xx informational: the real head follows
    this.tHeaders = performance.now()
    this.status = statusCode
    if (statusCode >= 300) {
      this.mode = 'excerpt'
      return
    }
    const raw = headers['content-type']
    const ct = (Array.isArray(raw) ? raw[0] : raw) ?? ''
    const media = ct.split(';', 1)[0]!.trim().toLowerCase()
    if (media !== this.r.mediaType) {
      this.r.obs.fail(
        'protocol_error',
        `POST ${this.url} answered 200 with content-type "${ct || '(none)'}", expected ${this.r.mediaType}: the server did not stream. Check that the URL points at the right stack and protocol.`,
      )
      this.mode = 'excerpt'
      return
    }
    this.mode = 'stream'
    const stallMs = this.r.stallMs
    if (stallMs !== undefined && stallMs < this.r.timeoutMs) {
      this.lastData = this.tHeaders
      this.stallTimer = setTimeout(this.checkStall, stallMs)
    }
  }

  // Per read we only store a number; the timer wakes once per stallMs and re-arms for the remainder.
  private readonly checkStall = (): void => {
    const stallMs = this.r.stallMs!
    const idle = performance.now() - this.lastData
    if (idle < stallMs) {
      this.stallTimer = setTimeout(this.checkStall, stallMs - idle)
      return
    }
    this.abortWith(
      'stall',
      `no bytes from POST ${this.url} for ${stallMs} ms while streaming (after ${this.r.obs.chunkTimes.length} output chunks); the server stalled`,
    )
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const t = performance.now()
    if (this.settled) return
    this.lastData = t
    if (this.mode === 'stream') {
      try {
        this.r.parser.feed(chunk, t)
      } catch (e) {
        this.r.obs.fail('protocol_error', `could not read the stream: ${(e as Error).message}`)
      }
      const f = this.r.obs.failure
      if (f !== undefined) {
        this.settle(f.outcome, f.error, t)
        controller.abort(new OwnAbort(f.outcome, f.error))
      }
      return
    }
    this.excerptParts.push(chunk)
    this.excerptBytes += chunk.length
    if (this.excerptBytes >= EXCERPT_BYTES) {
      this.settleExcerpt(t)
      controller.abort(new OwnAbort('http_error', 'excerpt read'))
    }
  }

  onResponseEnd(): void {
    const t = performance.now()
    if (this.settled) return
    if (this.mode !== 'stream') return this.settleExcerpt(t)
    try {
      this.r.parser.end(t)
    } catch (e) {
      this.r.obs.fail('protocol_error', `could not read the stream: ${(e as Error).message}`)
    }
    const obs = this.r.obs
    if (obs.failure !== undefined) return this.settle(obs.failure.outcome, obs.failure.error, t)
    if (this.r.endMarker !== undefined && !obs.done) {
      return this.settle(
        'disconnect',
        `POST ${this.url}: the body ended after ${obs.chunkTimes.length} output chunks without the end marker (${this.r.endMarker}); the server closed the stream early`,
        t,
      )
    }
    this.settle('ok', undefined, obs.tDone ?? t)
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    const t = performance.now()
    if (this.settled) return
    if (err instanceof OwnAbort) return this.settle(err.outcome, err.message, t)
    const code = errorCode(err) ?? err.name
    const n = this.r.obs.chunkTimes.length
    let outcome: Outcome
    let msg: string
    if (this.controller === null || (CONNECT_CODES.has(code) && this.tHeaders === undefined)) {
      outcome = 'connect_error'
      msg = `could not connect to ${this.url}: ${code} ${err.message}. Is the server running and is the URL right (<STACK>_URL)?`
    } else if (err.name === 'HTTPParserError' || code.startsWith('HPE_')) {
      outcome = 'protocol_error'
      msg = `POST ${this.url}: invalid HTTP from the server: ${err.message}`
    } else if (this.tHeaders === undefined && !this.resent && this.resend) {
      // A keep-alive socket the server had already closed (servers cap requests per connection or close idle
      // ones; the close races our write). Nothing reached the server, so send once more on a fresh socket; the
      // new attempt's tSend is taken in onRequestStart, so the lost attempt is not measured.
      this.resent = true
      this.controller = null
      return this.resend()
    } else {
      outcome = 'disconnect'
      msg = `POST ${this.url}: connection lost ${this.tHeaders === undefined ? 'before the response head' : `mid-stream after ${n} output chunks`} (${code}: ${err.message})`
    }
    if (this.mode === 'excerpt' && this.excerptBytes > 0 && outcome === 'disconnect') return this.settleExcerpt(t)
    this.settle(outcome, msg, t)
  }

  private settleExcerpt(t: number): void {
    const text = Buffer.concat(this.excerptParts).toString('utf8')
    const bodyExcerpt = text.length > EXCERPT_CHARS ? text.slice(0, EXCERPT_CHARS) : text
    const f = this.r.obs.failure
    if (f !== undefined) return this.settle(f.outcome, f.error, t, bodyExcerpt)
    const firstLine = bodyExcerpt.split('\n', 1)[0]!.slice(0, 200)
    this.settle('http_error', `POST ${this.url} answered HTTP ${this.status}${firstLine ? `: ${firstLine}` : ' with an empty body'}`, t, bodyExcerpt)
  }

  private settle(outcome: Outcome, error: string | undefined, tEnd: number, bodyExcerpt?: string): void {
    if (this.settled) return
    this.settled = true
    clearTimeout(this.timer)
    clearTimeout(this.stallTimer)
    this.r.signal?.removeEventListener('abort', this.onSignal)
    const o = this.r.obs
    const obs: StreamObservation = {
      outcome,
      tSend: this.tSend,
      tEnd,
      chunkTimes: o.chunkTimes,
      chunkTokens: o.chunkTokens,
      tokensExplicit: o.tokensExplicit,
      server: o.server,
    }
    if (error !== undefined) obs.error = error
    if (this.status !== undefined) obs.httpStatus = this.status
    if (bodyExcerpt !== undefined) obs.bodyExcerpt = bodyExcerpt
    if (this.tHeaders !== undefined) obs.tHeaders = this.tHeaders
    if (o.tFirstContent !== undefined) obs.tFirstContent = o.tFirstContent
    if (o.reasoningTokens > 0) obs.reasoningTokens = o.reasoningTokens
    if (o.text !== undefined) obs.text = o.text
    // undici frees a keep-alive socket with a setImmediate queued after this callback returns. Resolving
    // behind it (nextTick → setImmediate) lets the caller's next request reuse that socket instead of opening
    // another one. The timestamps are already taken, so this delay is not measured.
    process.nextTick(resolveLater, this.resolve, obs)
  }
}
