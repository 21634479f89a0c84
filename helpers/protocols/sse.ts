// Byte-level Server-Sent Events splitter (WHATWG "event stream" parsing, minus EventSource's reconnection).
// It works on the Buffers the socket delivered and hands events on as (buffer, start, end) ranges, so the
// hot path never builds a string per line: at a million events a second a string + split per event is the
// whole budget. Partial lines across reads are carried as bytes.

const LF = 10
const CR = 13
const COLON = 58
const SPACE = 32

/** Longest line we carry across reads before declaring the stream malformed (no real server comes close). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024

export interface SseSink {
  /**
   * One complete event's data. `t` is the arrival time of the read that carried its first `data:` line.
   * `name` is the `event:` field when the server sent one (e.g. 'error'), else undefined.
   */
  event(buf: Buffer, start: number, end: number, t: number, name: string | undefined): void
  /** A `:` comment line (keep-alive ping). Never output. */
  comment?(t: number): void
  /** The splitter could not continue (a line over MAX_LINE_BYTES). */
  malformed(reason: string): void
}

export class SseSplitter {
  private carry: Buffer | null = null
  // Data lines of the event being assembled. Almost every event has exactly one, kept without copying.
  private dataBuf: Buffer | null = null
  private dataStart = 0
  private dataEnd = 0
  private extra: Buffer[] | null = null
  private dataT = 0
  private name: string | undefined = undefined
  private failed = false

  constructor(private readonly sink: SseSink) {}

  feed(chunk: Buffer, t: number): void {
    if (this.failed) return
    let pos = 0
    if (this.carry !== null) {
      const nl = chunk.indexOf(LF)
      if (nl < 0) {
        if (this.carry.length + chunk.length > MAX_LINE_BYTES) return this.fail()
        this.carry = Buffer.concat([this.carry, chunk])
        return
      }
      const line = Buffer.concat([this.carry, chunk.subarray(0, nl)])
      this.carry = null
      this.line(line, 0, line.length, t)
      pos = nl + 1
    }
    const len = chunk.length
    while (pos < len) {
      const nl = chunk.indexOf(LF, pos)
      if (nl < 0) {
        if (len - pos > MAX_LINE_BYTES) return this.fail()
        this.carry = chunk.subarray(pos)
        return
      }
      this.line(chunk, pos, nl, t)
      if (this.failed) return
      pos = nl + 1
      // The blank line that ends an event almost always follows at once: handle it without another search.
      if (chunk[pos] === LF) {
        this.dispatch()
        pos++
      }
    }
  }

  /** End of body: a final event without its blank line is still delivered (servers that just close). */
  end(t: number): void {
    if (this.failed) return
    if (this.carry !== null) {
      const line = this.carry
      this.carry = null
      this.line(line, 0, line.length, t)
    }
    this.dispatch()
  }

  private fail(): void {
    this.failed = true
    this.carry = null
    this.sink.malformed(`an SSE line grew past ${MAX_LINE_BYTES} bytes without a line break`)
  }

  private line(buf: Buffer, s: number, e: number, t: number): void {
    if (e > s && buf[e - 1] === CR) e--
    if (e === s) return this.dispatch()
    const c0 = buf[s]
    if (c0 === COLON) {
      this.sink.comment?.(t)
      return
    }
    // "data:" is by far the most common field; test its bytes before any general field parsing.
    if (c0 === 100 && buf[s + 1] === 97 && buf[s + 2] === 116 && buf[s + 3] === 97 && buf[s + 4] === COLON) {
      let v = s + 5
      if (buf[v] === SPACE) v++
      this.data(buf, v, e, t)
      return
    }
    let colon = buf.indexOf(COLON, s)
    if (colon < 0 || colon > e) colon = e
    const field = buf.toString('latin1', s, colon)
    let v = colon + 1
    if (v < e && buf[v] === SPACE) v++
    if (field === 'data') this.data(buf, Math.min(v, e), e, t)
    else if (field === 'event') this.name = v < e ? buf.toString('utf8', v, e) : undefined
    // id, retry and unknown fields are ignored, as the SSE standard says.
  }

  private data(buf: Buffer, s: number, e: number, t: number): void {
    if (this.dataBuf === null) {
      this.dataBuf = buf
      this.dataStart = s
      this.dataEnd = e
      this.dataT = t
    } else {
      ;(this.extra ??= []).push(buf.subarray(s, e))
    }
  }

  private dispatch(): void {
    const buf = this.dataBuf
    const name = this.name
    this.name = undefined
    if (buf === null) return
    this.dataBuf = null
    if (this.extra === null) {
      this.sink.event(buf, this.dataStart, this.dataEnd, this.dataT, name)
      return
    }
    // Multi-line data: joined with LF, per the standard.
    const parts: Buffer[] = [buf.subarray(this.dataStart, this.dataEnd)]
    for (const p of this.extra) parts.push(NEWLINE, p)
    this.extra = null
    const joined = Buffer.concat(parts)
    this.sink.event(joined, 0, joined.length, this.dataT, name)
  }
}

const NEWLINE = Buffer.from('\n')
