// The line framing that SSE and NDJSON share: split the Buffers the socket delivered at LF and hand each
// line on as a (buffer, start, end) range, carrying a partial line across reads as bytes. The hot path
// never builds a string per line: at a million events a second a string + split per line is the whole budget.

const LF = 10

/** Longest line we carry across reads before declaring the stream malformed (no real server comes close). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024

export abstract class LineSplitter {
  private carry: Buffer | null = null
  private failed = false

  /** `format` names the framing in the malformed-stream message ('SSE', 'NDJSON'). */
  constructor(
    private readonly format: string,
    private readonly onMalformed: { malformed(reason: string): void },
  ) {}

  /** One line without its LF (a CR before it is still there); `t` is the arrival time of the read that completed it. */
  protected abstract line(buf: Buffer, start: number, end: number, t: number): void

  /** An empty line right after another line (SSE: end of event) — the common case, spared a search. */
  protected abstract blank(): void

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
      if (chunk[pos] === LF) {
        this.blank()
        pos++
      }
    }
  }

  /** End of body: a last line without its newline is still a line, and ends what it belongs to. */
  end(t: number): void {
    if (this.failed) return
    if (this.carry !== null) {
      const line = this.carry
      this.carry = null
      this.line(line, 0, line.length, t)
    }
    this.blank()
  }

  private fail(): void {
    this.failed = true
    this.carry = null
    this.onMalformed.malformed(`an ${this.format} line grew past ${MAX_LINE_BYTES} bytes without a line break`)
  }
}
