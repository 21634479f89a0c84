// Byte-level newline-delimited JSON splitter (Ollama's streaming format). Like sse.ts it hands on
// (buffer, start, end) ranges and carries partial lines as bytes.
import { MAX_LINE_BYTES } from './sse.ts'

const LF = 10
const CR = 13
const SPACE = 32
const TAB = 9

export interface LineSink {
  /** One non-blank line; `t` is the arrival time of the read that completed it. */
  line(buf: Buffer, start: number, end: number, t: number): void
  malformed(reason: string): void
}

export class NdjsonSplitter {
  private carry: Buffer | null = null
  private failed = false

  constructor(private readonly sink: LineSink) {}

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
      this.emit(line, 0, line.length, t)
      pos = nl + 1
    }
    const len = chunk.length
    while (pos < len && !this.failed) {
      const nl = chunk.indexOf(LF, pos)
      if (nl < 0) {
        if (len - pos > MAX_LINE_BYTES) return this.fail()
        this.carry = chunk.subarray(pos)
        return
      }
      this.emit(chunk, pos, nl, t)
      pos = nl + 1
    }
  }

  /** End of body: a last line without its newline is still a line. */
  end(t: number): void {
    if (this.failed || this.carry === null) return
    const line = this.carry
    this.carry = null
    this.emit(line, 0, line.length, t)
  }

  private fail(): void {
    this.failed = true
    this.carry = null
    this.sink.malformed(`an NDJSON line grew past ${MAX_LINE_BYTES} bytes without a line break`)
  }

  private emit(buf: Buffer, s: number, e: number, t: number): void {
    while (e > s && (buf[e - 1] === CR || buf[e - 1] === SPACE || buf[e - 1] === TAB)) e--
    while (s < e && (buf[s] === SPACE || buf[s] === TAB)) s++
    if (e > s) this.sink.line(buf, s, e, t)
  }
}
