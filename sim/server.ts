// The simulator's HTTP server: node:http with keep-alive, no framework. Routes come from the
// protocol table; /_sim/* serves ground truth, stats and the request log.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { Admission } from './admission.ts'
import { resolveConfig } from './config.ts'
import { BadRequest, readBody, sendJson, sendText, type ProtocolDef } from './http.ts'
import type { SimContext, SimRequest } from './job.ts'
import { SimMetrics } from './metrics.ts'
import { Pacer } from './pacer.ts'
import { PROTOCOL_DEFS } from './protocols/index.ts'
import { RequestLog, TruthStore } from './store.ts'
import type { SimConfig, SimHandle, SimProcessHooks, SimStats } from './types.ts'

function stats(ctx: SimContext): SimStats {
  const a = ctx.admission
  return { requests: ctx.counters.requests, active: a.active, maxActive: a.maxActive, queued: a.queued, rejected: a.rejected }
}

function simRoute(ctx: SimContext, path: string, res: ServerResponse): void {
  const truth = /^\/_sim\/truth\/(.+)$/.exec(path)
  if (truth) {
    const t = ctx.truths.get(decodeURIComponent(truth[1]))
    return t ? sendJson(res, 200, t) : sendJson(res, 404, { error: `no truth recorded for request id '${decodeURIComponent(truth[1])}'` })
  }
  if (path === '/_sim/stats') return sendJson(res, 200, stats(ctx))
  if (path === '/_sim/requests') return sendJson(res, 200, ctx.log.list())
  if (path === '/_sim/config') return sendJson(res, 200, { ...ctx.config, ...(ctx.config.apiKey ? { apiKey: '***' } : {}) })
  sendJson(res, 404, { error: `unknown simulator endpoint ${path}; try /_sim/truth/<id>, /_sim/stats, /_sim/requests, /_sim/config` })
}

async function handle(ctx: SimContext, proto: ProtocolDef, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const tReceived = performance.timeOrigin + performance.now()
  const header = req.headers['x-request-id']
  const requestId = (Array.isArray(header) ? header[0] : header) || `sim-${++ctx.counters.nextId}`
  res.setHeader('x-request-id', requestId)
  const url = new URL(req.url ?? '/', 'http://sim')
  const path = url.pathname
  const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET')
  if (path.startsWith('/_sim/')) return simRoute(ctx, path, res)
  let body: unknown = null
  try {
    if (method !== 'GET') {
      const raw = await readBody(req)
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'))
        } catch {
          throw new BadRequest(`request body is not valid JSON: ${raw.toString('utf8').slice(0, 80)}`)
        }
      }
    }
    ctx.log.add({ requestId, method, path, body })
    if (ctx.config.apiKey !== undefined && req.headers.authorization !== `Bearer ${ctx.config.apiKey}`) {
      return sendJson(res, 401, proto.error(401, `missing or wrong API key (Authorization: Bearer …)`))
    }
    if (performance.now() < ctx.startedAtPerf + ctx.config.readyDelayMs) {
      const l = proto.loading()
      return sendJson(res, l.status, l.body)
    }
    let pathMatched = false
    for (const route of proto.routes) {
      const m = route.path.exec(path)
      if (!m) continue
      pathMatched = true
      if (route.method !== method) continue
      const r: SimRequest = { req, res, requestId, tReceived, method, path, query: url.searchParams, body, params: m.slice(1) }
      return await route.handle(ctx, r)
    }
    if (pathMatched) return sendJson(res, 405, proto.error(405, `method ${method} not allowed on ${path}`))
    sendJson(res, 404, proto.error(404, `${path} is not an endpoint of the simulated ${ctx.config.protocol} server`))
  } catch (err) {
    if (res.headersSent) {
      res.destroy()
      return
    }
    if (err instanceof BadRequest) return sendJson(res, err.status, proto.error(err.status, err.message))
    sendText(res, 500, `simulator error: ${err instanceof Error ? err.stack : String(err)}`)
  }
}

/** Start a simulator in this process. `hooks` is for the CLI process only. */
export async function startSim(config: Partial<SimConfig>, hooks: SimProcessHooks = {}): Promise<SimHandle> {
  const cfg = resolveConfig(config, 'startSim config')
  const now = new Date().toISOString()
  const ctx: SimContext = {
    config: cfg,
    pacer: new Pacer(),
    admission: new Admission(cfg.maxSeqs, cfg.maxQueue),
    truths: new TruthStore(),
    log: new RequestLog(),
    metrics: new SimMetrics(),
    precomputed: new Map(),
    hooks,
    models: new Map(cfg.models.map((m) => [m, { createdAt: now }])),
    loaded: new Set(),
    startedAt: Date.now(),
    startedAtPerf: performance.now(),
    counters: { requests: 0, generatesFinished: 0, nextId: 0 },
  }
  const proto = PROTOCOL_DEFS[cfg.protocol]
  const server = createServer({ keepAlive: true, noDelay: true, requestTimeout: 0 }, (req, res) => {
    // A client that aborts mid-stream must never take the simulator down.
    res.on('error', () => {})
    handle(ctx, proto, req, res).catch(() => res.destroy())
  })
  server.keepAliveTimeout = 65_000
  server.headersTimeout = 66_000
  server.on('clientError', (_err, socket) => socket.destroy())
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(cfg.port, cfg.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host
  let closing: Promise<void> | undefined
  return {
    url: `http://${host}:${port}`,
    port,
    config: { ...cfg, port },
    truth: (id) => ctx.truths.get(id),
    stats: () => stats(ctx),
    requests: () => ctx.log.list(),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        ctx.pacer.close()
        server.close(() => resolve())
        server.closeAllConnections()
      })),
  }
}
