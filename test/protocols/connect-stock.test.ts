// Connections opened ahead of need (connect-stock.ts): a request that finds every connection busy gets the one primed
// for it instead of connecting between its due time and its send; nothing is opened otherwise; an unused one closes.
import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ConnectStock } from '../../helpers/protocols/connect-stock.ts'
import { protocolDef } from '../../helpers/protocols/index.ts'
import { ObservationBuilder } from '../../helpers/protocols/observation.ts'
import { Transport } from '../../helpers/protocols/transport.ts'

const SSE = 'data: {"choices":[{"text":"a"}]}\n\ndata: [DONE]\n\n'

/** An OpenAI-completions-shaped server answering after `holdMs`, counting the connections it accepted and saw close. */
async function server(holdMs: number): Promise<{ url: string; srv: Server; accepted: number; closed: number; sockets: Socket[] }> {
  const srv = createServer((req, res) => {
    req.resume()
    req.on('end', () =>
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.end(SSE)
      }, holdMs),
    )
  })
  const s = { url: '', srv, accepted: 0, closed: 0, sockets: [] as Socket[] }
  srv.on('connection', (sock) => {
    s.accepted++
    s.sockets.push(sock)
    sock.on('close', () => s.closed++)
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const addr = srv.address()
  s.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`
  return s
}

function send(t: Transport, id: string) {
  const def = protocolDef('openai-completions')
  const obs = new ObservationBuilder(false)
  return t.stream({
    path: '/v1/completions',
    body: '{}',
    mediaType: def.mediaType,
    requestId: id,
    timeoutMs: 5000,
    obs,
    parser: def.parser(obs, true),
    endMarker: def.endMarker,
  })
}

async function until(what: string, ok: () => boolean, ms = 2000): Promise<void> {
  const end = performance.now() + ms
  while (!ok()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

const open: { close(): Promise<void> | void }[] = []
afterEach(async () => {
  for (const o of open.splice(0)) await o.close()
})

/** One request holding the only connection (for `holdMs`), then a connection primed for the next. */
async function busyThenPrimed(holdMs: number) {
  const s = await server(holdMs)
  open.push({ close: () => void s.srv.close() })
  const t = new Transport(s.url)
  open.push(t)
  const first = send(t, 'a')
  await until('the first connection', () => s.accepted === 1)
  t.prime()
  await until('the primed connection', () => t.primed.primed === 1)
  return { s, t, first }
}

describe('connections primed for an open loop', () => {
  it('a request that finds every connection busy takes the primed one; none is primed while one is free', async () => {
    const { s, t, first } = await busyThenPrimed(150)
    expect(s.accepted).toBe(2)
    const second = send(t, 'b')
    const [a, b] = await Promise.all([first, second])
    expect([a.outcome, b.outcome]).toEqual(['ok', 'ok'])
    expect(t.primed.taken).toBe(1)
    // the second request connected on the primed socket: no third connection
    expect(s.accepted).toBe(2)
    // both connections are free now: priming opens nothing
    t.prime()
    await new Promise((r) => setTimeout(r, 100))
    expect(s.accepted).toBe(2)
    expect(t.primed.primed).toBe(1)
  })

  it('a primed socket nobody takes is closed after its idle time, and close() closes a waiting one', async () => {
    const s = await server(0)
    open.push({ close: () => void s.srv.close() })
    const host = new URL(s.url)
    const target = { hostname: host.hostname, host: host.host, protocol: 'http:', port: host.port }
    const stock = new ConnectStock(target, 100)
    stock.prime()
    await until('the primed connection', () => stock.counts.primed === 1)
    await until('the idle close', () => s.closed === 1, 1000)
    expect(stock.counts.expired).toBe(1)

    const other = new ConnectStock(target, 60_000)
    other.prime()
    await until('the second primed connection', () => other.counts.primed === 1)
    other.close()
    await until('close() closing it', () => s.closed === 2, 1000)
    other.prime()
    await new Promise((r) => setTimeout(r, 50))
    expect(s.accepted).toBe(2)
  })

  it('a primed socket the server closed while it waited is not handed to a request', async () => {
    const { s, t, first } = await busyThenPrimed(100)
    s.sockets[1]!.destroy()
    await until('the server side closing', () => s.closed === 1)
    await new Promise((r) => setTimeout(r, 20))
    const second = await send(t, 'b')
    expect(second.outcome).toBe('ok')
    expect((await first).outcome).toBe('ok')
    expect(t.primed.taken).toBe(0)
    expect(s.accepted).toBe(3)
  })
})

describe('connections opened before a measured phase', () => {
  it('preconnect(4) opens 4 sockets before any request and a burst of 4 uses them; again with 4 free opens none', async () => {
    const s = await server(50)
    open.push({ close: () => void s.srv.close() })
    const t = new Transport(s.url)
    open.push(t)
    await t.preconnect(4)
    expect(t.primed.primed).toBe(4)
    await until('the server accepting them', () => s.accepted === 4)
    const outs = await Promise.all(['a', 'b', 'c', 'd'].map((id) => send(t, id)))
    expect(outs.map((o) => o.outcome)).toEqual(['ok', 'ok', 'ok', 'ok'])
    // every request of the burst went out on an opened socket: no connect inside the burst
    expect(t.primed.taken).toBe(4)
    expect(s.accepted).toBe(4)
    // the pool now holds 4 free keep-alive connections: nothing more to open
    await t.preconnect(4)
    await new Promise((r) => setTimeout(r, 50))
    expect(s.accepted).toBe(4)
  })
})
