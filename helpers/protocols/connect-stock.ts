// Connections opened just ahead of need. undici's Pool connects when a request finds every connection busy, and that
// connect (the handshake and the event-loop turns around it) lands between the request's due time and its send:
// replaying a 100-request trace against the simulator, the requests that needed a new connection were the late
// ones (1.5–3.5 ms after their due time, against ~0.3 ms for one that found a free connection). The next request of
// an open loop could need one right after one of its requests (one with a sendAt) is written and left no connection
// free: the transport asks for it then (prime); the pool's next connect takes that socket instead of opening one.
//
// Before a measured phase with a known number in flight (a closed loop's concurrency, an open loop's cap) that many
// are opened at once (fill), so its first burst does not connect inside the measurement. Nothing is opened
// otherwise: a closed loop then reuses its connections, and a socket primed for an arrival that never came is closed
// after IDLE_MS, so a server that gives each connection a thread (llama-server, Triton) holds at most one idle extra
// for a moment. A failed connect is not retried here (the request's own connect reports the error).
import type { Socket } from 'node:net'
import { buildConnector } from 'undici'

/** A primed socket nobody took within this long is closed. */
const IDLE_MS = 2000

export class ConnectStock {
  private readonly base = buildConnector({})
  /** Primed sockets waiting for a request, oldest first, each with what stops its wait (timer and listeners). */
  private readonly ready = new Map<Socket, () => void>()
  private opening = 0
  private closed = false
  /** Primed sockets handed to the pool, and ones closed unused (for tests and the harness). */
  readonly counts = { primed: 0, taken: 0, expired: 0 }

  /** `target`: what undici's Client passes its connector for this origin; `idleMs`: how long a primed socket waits. */
  constructor(
    private readonly target: buildConnector.Options,
    private readonly idleMs = IDLE_MS,
  ) {}

  /** The connector for undici's Pool (`connect` option): a primed socket when one is ready, else a new connect. */
  readonly connect: buildConnector.connector = (opts, cb) => {
    const s = this.take()
    if (s === undefined) return this.base(opts, cb)
    this.counts.taken++
    process.nextTick(cb, null, s)
  }

  /** Open one connection for the next request that will need one (no-op while one is ready or opening). */
  prime(): void {
    void this.fill(1)
  }

  /** Open sockets until `n` are ready or opening (each goes to one of the pool's next connects); resolves when they are open or failed. */
  async fill(n: number): Promise<void> {
    const want = n - this.ready.size - this.opening
    if (this.closed || want <= 0) return
    await Promise.all(Array.from({ length: want }, () => new Promise<void>((done) => this.open(done))))
  }

  private open(done?: () => void): void {
    this.opening++
    this.base(this.target, (err, socket) => {
      this.opening--
      if (err === null && socket !== null) {
        if (this.closed) socket.destroy()
        else {
          this.counts.primed++
          this.hold(socket)
        }
      }
      done?.()
    })
  }

  /** Close every ready socket; nothing is primed afterwards. */
  close(): void {
    this.closed = true
    for (const s of this.ready.keys()) s.destroy()
    this.ready.clear()
  }

  private hold(s: Socket): void {
    const drop = (): void => {
      this.ready.delete(s)
      release()
      s.destroy()
    }
    const expire = setTimeout(() => {
      this.counts.expired++
      drop()
    }, this.idleMs).unref()
    // While it waits the socket must not keep the process alive. It is not read (a 'data' listener would leave it
    // flowing for undici), so a server's close shows only as an error; IDLE_MS is below the usual 5 s keep-alive
    // timeouts, and a request that still finds it closed is resent once on a fresh socket (transport.ts).
    const release = (): void => {
      clearTimeout(expire)
      s.off('close', drop)
      s.off('error', drop)
    }
    s.on('close', drop)
    s.on('error', drop)
    s.unref()
    this.ready.set(s, release)
  }

  private take(): Socket | undefined {
    for (const [s, release] of this.ready) {
      this.ready.delete(s)
      release()
      if (s.destroyed || !s.writable) {
        s.destroy()
        continue
      }
      s.ref()
      return s
    }
    return undefined
  }
}
