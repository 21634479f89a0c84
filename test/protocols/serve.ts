// A tiny node:http server for protocol tests: each request is answered by a script of writes, so tests
// control exactly which bytes go out and when the socket ends, closes or goes silent.
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface Captured {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
}

export type Script = (req: Captured, res: http.ServerResponse) => void | Promise<void>

export interface TestServer {
  url: string
  requests: Captured[]
  /** TCP connections accepted so far. */
  connections(): number
  close(): Promise<void>
}

export async function serve(script: Script): Promise<TestServer> {
  const requests: Captured[] = []
  const sockets = new Set<Socket>()
  let accepted = 0
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => parts.push(c))
    req.on('end', () => {
      const cap = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(parts).toString('utf8') }
      requests.push(cap)
      void script(cap, res)
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    accepted++
    s.on('close', () => sockets.delete(s))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    connections: () => accepted,
    close: async () => {
      for (const s of sockets) s.destroy()
      server.close()
      await once(server, 'close')
    },
  }
}

/** Answer with a whole recorded body in one write. */
export function body(contentType: string, data: string | Buffer, status = 200): Script {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': contentType })
    res.end(data)
  }
}
