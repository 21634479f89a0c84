// Newline-delimited JSON (Ollama's streaming format) on top of the shared byte-level line framing: each
// non-blank line, trimmed of spaces, tabs and a CR, is handed on as a (buffer, start, end) range.
import { LineSplitter } from './lines.ts'

const CR = 13
const SPACE = 32
const TAB = 9

export interface LineSink {
  /** One non-blank line; `t` is the arrival time of the read that completed it. */
  line(buf: Buffer, start: number, end: number, t: number): void
  malformed(reason: string): void
}

export class NdjsonSplitter extends LineSplitter {
  constructor(private readonly sink: LineSink) {
    super('NDJSON', sink)
  }

  protected line(buf: Buffer, s: number, e: number, t: number): void {
    while (e > s && (buf[e - 1] === CR || buf[e - 1] === SPACE || buf[e - 1] === TAB)) e--
    while (s < e && (buf[s] === SPACE || buf[s] === TAB)) s++
    if (e > s) this.sink.line(buf, s, e, t)
  }

  /** Blank lines between objects carry nothing. */
  protected blank(): void {}
}
