// Server-Sent Events parsing (WHATWG "event stream", minus EventSource's reconnection) on top of the shared
// byte-level line framing: events are handed on as (buffer, start, end) ranges, so the hot path never
// builds a string per line.
import { LineSplitter } from './lines.ts'

const CR = 13
const COLON = 58
const SPACE = 32

export interface SseSink {
  /**
   * One complete event's data. `t` is the arrival time of the read that carried its first `data:` line.
   * `name` is the `event:` field when the server sent one (e.g. 'error'), else undefined.
   */
  event(buf: Buffer, start: number, end: number, t: number, name: string | undefined): void
  /** A `:` comment line (keep-alive ping). Never output. */
  comment?(t: number): void
  /** The splitter could not continue (a line over lines.ts MAX_LINE_BYTES). */
  malformed(reason: string): void
}

export class SseSplitter extends LineSplitter {
  // Data lines of the event being assembled. Almost every event has exactly one, kept without copying.
  private dataBuf: Buffer | null = null
  private dataStart = 0
  private dataEnd = 0
  private extra: Buffer[] | null = null
  private dataT = 0
  private name: string | undefined = undefined

  constructor(private readonly sink: SseSink) {
    super('SSE', sink)
  }

  protected line(buf: Buffer, s: number, e: number, t: number): void {
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

  /** A blank line ends the event being assembled. */
  protected blank(): void {
    this.dispatch()
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
