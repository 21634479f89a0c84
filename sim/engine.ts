// Runs one generate call: fault statuses, queueing, the latency model, adversarial shapes,
// pacing and ground truth. Protocols only describe the request and format the bytes.
import type { ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { GenChunk, GenerateJob, GenInfo, PrecomputedBody, SimContext, SimRequest } from './job.ts'
import { gapSampler, ttftMs } from './latency.ts'
import { rngFor } from './rng.ts'
import { outputToken } from './tokenizer.ts'
import type { SimTruth } from './types.ts'

const epoch = () => performance.timeOrigin + performance.now()

type Event = { kind: 'role' | 'empty' | 'keepalive' | 'garbage' | 'disconnect' } | { kind: 'tokens' | 'truncated'; chunk: GenChunk }

/** Number of tokens to generate: max, or the EOS point when configured and not ignored. */
function tokenCount(ctx: SimContext, job: GenerateJob): { n: number; finish: 'length' | 'stop' } {
  const eos = ctx.config.eosAfterTokens
  if (eos > 0 && !job.ignoreEos) {
    const n = Math.min(job.maxTokens, Math.max(job.minTokens, eos))
    if (n < job.maxTokens) return { n, finish: 'stop' }
  }
  return { n: job.maxTokens, finish: 'length' }
}

function buildChunks(ctx: SimContext, job: GenerateJob, n: number): GenChunk[] {
  const per = ctx.config.tokensPerChunk
  const reasoningN = job.reasoning ? Math.min(n, ctx.config.faults.reasoningTokens ?? 0) : 0
  const chunks: GenChunk[] = []
  let i = 0
  while (i < n) {
    const reasoning = i < reasoningN
    // A chunk never mixes reasoning and content, as real servers send them in separate fields.
    const end = Math.min(i + per, n, reasoning ? reasoningN : n)
    const ids: number[] = []
    const texts: string[] = []
    for (let k = i; k < end; k++) {
      const t = outputToken(ctx.config.seed, k)
      ids.push(t.id)
      texts.push(t.text)
    }
    chunks.push({ text: texts.join(''), ids, texts, reasoning, index: chunks.length, first: chunks.length === 0, last: false })
    i = end
  }
  if (chunks.length > 0) chunks[chunks.length - 1].last = true
  return chunks
}

/** The stream as a list of events; fault switches add their shapes at fixed positions. */
function buildEvents(ctx: SimContext, job: GenerateJob, chunks: GenChunk[]): Event[] {
  const f = ctx.config.faults
  const events: Event[] = []
  const sse = job.encoder.contentType.startsWith('text/event-stream')
  const after = (count: number, last?: GenChunk) => {
    if (f.malformedLineAt === count) events.push({ kind: 'garbage' })
    if (f.truncatedJsonAt === count) events.push({ kind: 'truncated', chunk: last ?? chunks[0] ?? emptyChunk() })
    if (f.disconnectAfter === count) events.push({ kind: 'disconnect' })
  }
  if (f.roleOnlyFirstChunk && job.encoder.roleOnly) events.push({ kind: 'role' })
  after(0)
  const empties = new Map<number, number>()
  const k = f.emptyChunks ?? 0
  // Spread the empty chunks evenly over the gaps between token chunks (before chunk `at`).
  for (let j = 0; j < k; j++) {
    const at = Math.max(1, Math.min(chunks.length, Math.floor(((j + 1) * chunks.length) / (k + 1)) || 1))
    empties.set(at, (empties.get(at) ?? 0) + 1)
  }
  chunks.forEach((c, i) => {
    for (let e = 0; e < (empties.get(i) ?? 0); e++) events.push({ kind: 'empty' })
    if (i > 0 && f.keepAlive && sse) events.push({ kind: 'keepalive' })
    events.push({ kind: 'tokens', chunk: c })
    after(i + 1, c)
  })
  // Empty chunks placed after the last token chunk (only when there are no token chunks).
  for (let e = 0; e < (empties.get(chunks.length) ?? 0) && chunks.length === 0; e++) events.push({ kind: 'empty' })
  return events
}

function emptyChunk(): GenChunk {
  return { text: '', ids: [], texts: [], reasoning: false, index: 0, first: true, last: true }
}

function render(e: Event, job: GenerateJob, info: GenInfo): string {
  const enc = job.encoder
  switch (e.kind) {
    case 'role':
      return enc.roleOnly!(info)
    case 'empty':
      return enc.empty(info)
    case 'keepalive':
      return ': keep-alive\n\n'
    case 'garbage':
      return enc.garbage()
    case 'truncated':
      return enc.truncated(e.chunk, info)
    case 'tokens':
      return enc.chunk(e.chunk, info)
    case 'disconnect':
      return ''
  }
}

function makeInfo(ctx: SimContext, r: SimRequest, job: GenerateJob, chunks: GenChunk[], finish: 'length' | 'stop'): GenInfo {
  const f = ctx.config.faults
  const n = chunks.reduce((s, c) => s + c.ids.length, 0)
  const now = new Date()
  return {
    requestId: r.requestId,
    model: job.model,
    created: Math.floor(now.getTime() / 1000),
    createdAt: now.toISOString(),
    text: chunks
      .filter((c) => !c.reasoning)
      .map((c) => c.text)
      .join(''),
    reasoningText: chunks
      .filter((c) => c.reasoning)
      .map((c) => c.text)
      .join(''),
    ids: chunks.flatMap((c) => c.ids),
    outputTokens: n,
    reportedOutputTokens: n + (f.serverCountOffBy ?? 0),
    promptTokens: job.promptTokens,
    finishReason: finish,
    missingUsage: f.missingUsage === true,
    includeUsage: job.includeUsage,
    promptMs: 0,
    decodeMs: 0,
    totalMs: 0,
    loadMs: 0,
  }
}

function failsThisRequest(ctx: SimContext, requestId: string): boolean {
  const f = ctx.config.faults
  if (f.failRate !== undefined) return rngFor(ctx.config.seed, `fail:${requestId}`)() < f.failRate
  return f.status !== undefined
}

export async function runGenerate(ctx: SimContext, r: SimRequest, job: GenerateJob): Promise<void> {
  const { res } = r
  const cfg = ctx.config
  const f = cfg.faults
  ctx.counters.requests++
  const truth: SimTruth = {
    requestId: r.requestId,
    tReceived: r.tReceived,
    chunkTimes: [],
    chunkTokens: [],
    chunkTargets: [],
    outputTokens: 0,
    promptTokens: job.promptTokens,
    outcome: 'ok',
    path: r.path,
    ...(job.options ? { options: job.options } : {}),
  }
  ctx.truths.put(truth)
  let closed = false
  res.on('close', () => {
    if (!res.writableFinished) {
      closed = true
      truth.clientClosed = truth.fault !== 'disconnect'
    }
  })
  const finish = () => {
    truth.tEnd = truth.tEnd ?? epoch()
    ctx.metrics.observe(truth)
    ctx.counters.generatesFinished++
    if (f.dieAfterRequests !== undefined && ctx.counters.generatesFinished >= f.dieAfterRequests && ctx.hooks.onDie) {
      setImmediate(ctx.hooks.onDie)
    }
  }

  if (failsThisRequest(ctx, r.requestId)) {
    const status = f.status ?? 500
    truth.outcome = 'fault'
    truth.fault = 'status'
    res.writeHead(status, { 'content-type': f.statusBody !== undefined ? 'text/plain; charset=utf-8' : 'application/json' })
    res.end(f.statusBody ?? job.error(status, `simulated failure (status ${status})`))
    return finish()
  }

  const slot = ctx.admission.acquire()
  if (!slot) {
    truth.outcome = 'queued-reject'
    res.writeHead(503, { 'content-type': 'application/json' })
    res.end(job.error(503, `server overloaded: ${cfg.maxSeqs} sequences running and ${cfg.maxQueue} queued; retry later`))
    return finish()
  }
  const onEarlyClose = () => slot.cancel()
  res.once('close', onEarlyClose)
  await slot.granted
  res.off('close', onEarlyClose)
  if (closed) {
    // The waiter was granted a slot in the same tick the client left: hand it straight back.
    ctx.admission.release()
    return finish()
  }
  try {
    await generate(ctx, r, job, truth, () => closed)
  } finally {
    ctx.admission.release()
    finish()
  }
}

async function generate(ctx: SimContext, r: SimRequest, job: GenerateJob, truth: SimTruth, isClosed: () => boolean): Promise<void> {
  const { res } = r
  const cfg = ctx.config
  const f = cfg.faults
  const tAdmitted = performance.now()
  truth.tAdmitted = performance.timeOrigin + tAdmitted
  ctx.loaded.add(job.model)
  const contentType = f.wrongContentType ? 'text/plain; charset=utf-8' : job.stream ? job.encoder.contentType : (job.wholeContentType ?? 'application/json')
  if (cfg.precompute) return writePrecomputed(ctx, r, job, truth, contentType)
  const { n, finish } = tokenCount(ctx, job)
  const chunks = buildChunks(ctx, job, n)
  const info = makeInfo(ctx, r, job, chunks, finish)
  truth.outputTokens = n
  const ttftModel = ttftMs(cfg, job.promptTokens, ctx.admission.active)

  const gap = gapSampler(cfg, r.requestId)
  let target = tAdmitted + ttftModel
  let tFirst = 0
  const nextGap = (c: GenChunk) => gap(c.ids.length, ctx.admission.active)

  if (!job.stream) {
    chunks.forEach((c, i) => {
      if (i > 0) target += nextGap(c)
    })
    await ctx.pacer.until(target)
    if (isClosed()) return
    const now = performance.now()
    info.promptMs = ttftModel
    info.decodeMs = now - tAdmitted - ttftModel
    info.totalMs = now - tAdmitted
    info.createdAt = new Date().toISOString()
    res.writeHead(200, { 'content-type': contentType })
    const t = epoch()
    if (n > 0) {
      truth.chunkTimes.push(t)
      truth.chunkTokens.push(n)
      truth.chunkTargets!.push(performance.timeOrigin + target)
    }
    res.end(job.whole(info))
    truth.tEnd = epoch()
    return
  }

  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache' })
  res.flushHeaders()
  const tStream = performance.now()
  const events = buildEvents(ctx, job, chunks)
  let lastTarget = tStream
  let nextTokenTarget: number | undefined
  const stalled = (at: number) => f.stallAfterMs !== undefined && at - tStream >= f.stallAfterMs

  for (let i = 0; i < events.length; i++) {
    const e = events[i]
    if (e.kind === 'disconnect') {
      truth.outcome = 'fault'
      truth.fault = 'disconnect'
      truth.tEnd = epoch()
      return cutConnection(res)
    }
    let at = lastTarget
    if (e.kind === 'tokens') {
      if (nextTokenTarget === undefined) nextTokenTarget = e.chunk.first ? target : lastTarget + nextGap(e.chunk)
      at = nextTokenTarget
      nextTokenTarget = undefined
    } else if (e.kind === 'empty' || e.kind === 'keepalive') {
      // Fillers land halfway through the wait for the next token chunk, i.e. alone on the wire.
      const next = events.slice(i).find((x) => x.kind === 'tokens')
      if (next && next.kind === 'tokens') {
        nextTokenTarget ??= next.chunk.first ? target : lastTarget + nextGap(next.chunk)
        at = (lastTarget + nextTokenTarget) / 2
      }
    }
    if (stalled(at)) return stall(res, truth)
    await ctx.pacer.until(at)
    if (isClosed()) return
    if (e.kind === 'tokens') {
      const now = performance.now()
      if (e.chunk.first) tFirst = now
      info.promptMs = tFirst - tAdmitted
      info.decodeMs = now - tFirst
      info.totalMs = now - tAdmitted
      info.createdAt = new Date().toISOString()
      const bytes = render(e, job, info)
      truth.chunkTimes.push(performance.timeOrigin + performance.now())
      truth.chunkTokens.push(e.chunk.ids.length)
      truth.chunkTargets!.push(performance.timeOrigin + at)
      res.write(bytes)
      lastTarget = at
    } else {
      res.write(render(e, job, info))
      if (e.kind !== 'role') lastTarget = Math.max(lastTarget, at)
    }
  }
  if (stalled(lastTarget)) return stall(res, truth)
  if (chunks.length === 0) info.totalMs = performance.now() - tAdmitted
  info.createdAt = new Date().toISOString()
  res.end(job.encoder.final(info))
  truth.tEnd = epoch()
}

/** The socket stays open and silent, holding its slot, until the client gives up or the server closes. */
function stall(res: ServerResponse, truth: SimTruth): Promise<void> {
  truth.outcome = 'fault'
  truth.fault = 'stall'
  truth.tEnd = epoch()
  if (res.destroyed) return Promise.resolve()
  return new Promise((resolve) => res.once('close', () => resolve()))
}

/** Close the connection mid-response, after what was written has reached the socket (a crash, not lost data). */
function cutConnection(res: ServerResponse): void {
  const socket = res.socket
  if (!socket) return
  socket.once('finish', () => socket.destroy())
  socket.end()
}

function buildPrecomputed(ctx: SimContext, r: SimRequest, job: GenerateJob, n: number, finish: 'length' | 'stop'): PrecomputedBody {
  const cfg = ctx.config
  const chunks = buildChunks(ctx, job, n)
  // Ids and timestamps are fixed so one body serves every request with the same shape.
  const info: GenInfo = { ...makeInfo(ctx, r, job, chunks, finish), requestId: 'sim-precomputed', created: 0, createdAt: new Date(0).toISOString() }
  info.promptMs = ttftMs(cfg, job.promptTokens, 1)
  info.decodeMs = Math.max(0, n - 1) * cfg.itlMs
  info.totalMs = info.promptMs + info.decodeMs
  if (!job.stream) return { body: Buffer.from(job.whole(info)), chunkTokens: n > 0 ? [n] : [], disconnect: false }
  let text = ''
  const chunkTokens: number[] = []
  for (const e of buildEvents(ctx, job, chunks)) {
    if (e.kind === 'disconnect') return { body: Buffer.from(text), chunkTokens, disconnect: true }
    if (e.kind === 'tokens') chunkTokens.push(e.chunk.ids.length)
    text += render(e, job, info)
  }
  return { body: Buffer.from(text + job.encoder.final(info)), chunkTokens, disconnect: false }
}

function writePrecomputed(ctx: SimContext, r: SimRequest, job: GenerateJob, truth: SimTruth, contentType: string): void {
  const { res } = r
  const { n, finish } = tokenCount(ctx, job)
  const key = `${r.path}|${job.stream}|${job.includeUsage}|${job.model}|${n}|${job.promptTokens}|${finish}`
  let pre = ctx.precomputed.get(key)
  if (!pre) {
    pre = buildPrecomputed(ctx, r, job, n, finish)
    if (ctx.precomputed.size >= 1000) ctx.precomputed.clear()
    ctx.precomputed.set(key, pre)
  }
  truth.outputTokens = n
  res.writeHead(200, { 'content-type': contentType, ...(pre.disconnect ? {} : { 'content-length': String(pre.body.length) }) })
  const t = epoch()
  for (const tokens of pre.chunkTokens) {
    truth.chunkTimes.push(t)
    truth.chunkTargets!.push(t)
    truth.chunkTokens.push(tokens)
  }
  if (pre.disconnect) {
    truth.outcome = 'fault'
    truth.fault = 'disconnect'
    res.write(pre.body)
    cutConnection(res)
  } else res.end(pre.body)
  truth.tEnd = epoch()
}
