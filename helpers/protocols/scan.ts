// Byte patterns for the token-event fast path.
//
// Why this is sound: in valid JSON a quote inside a string value is always written `\"`, so the byte
// sequence `"key":` can only occur as a real object key. Servers write compact JSON (Go, serde, pydantic,
// nlohmann all do), so `"text":"` finds the text field. Anything the fast path is not sure about
// (a key missing, an unexpected value, a brace missing at either end) goes to JSON.parse, which is the
// authority; the fast path only ever says "plain token event with/without output".
//
// Why the cache: Buffer#indexOf has no end bound, so a search for a key an event lacks runs on into the
// following events. Remembering the next occurrence per buffer keeps the total scan linear per read.

const NOT_FOUND = Number.MAX_SAFE_INTEGER

export class Finder {
  readonly pattern: Buffer
  readonly length: number
  private buf: Buffer | null = null
  private from = 0
  private next = NOT_FOUND

  constructor(pattern: string) {
    this.pattern = Buffer.from(pattern, 'latin1')
    this.length = this.pattern.length
  }

  /** Index of the pattern inside [start, end) of buf, or -1. */
  in(buf: Buffer, start: number, end: number): number {
    if (buf !== this.buf || start < this.from || this.next < start) {
      this.buf = buf
      this.from = start
      const i = buf.indexOf(this.pattern, start)
      this.next = i < 0 ? NOT_FOUND : i
    }
    return this.next + this.length <= end ? this.next : -1
  }
}

export const QUOTE = 34
export const LBRACE = 123
export const RBRACE = 125
export const LBRACKET = 91
export const RBRACKET = 93

/** True when the payload is exactly `[DONE]` (OpenAI's end marker). */
export function isDone(buf: Buffer, s: number, e: number): boolean {
  return (
    e - s === 6 &&
    buf[s] === LBRACKET &&
    buf[s + 1] === 68 &&
    buf[s + 2] === 79 &&
    buf[s + 3] === 78 &&
    buf[s + 4] === 69 &&
    buf[s + 5] === RBRACKET
  )
}

/** The payload looks like one JSON object (first byte `{`, last `}`): a precondition for the fast path. */
export function objectShaped(buf: Buffer, s: number, e: number): boolean {
  return e > s + 1 && buf[s] === LBRACE && buf[e - 1] === RBRACE
}

/**
 * Elements in a flat array of numbers starting at `open` (the `[`), e.g. llama.cpp's `"tokens":[12,34]`.
 * Returns -1 when the array does not close before `end` (then the caller falls back to JSON.parse).
 */
export function countNumbers(buf: Buffer, open: number, end: number): number {
  let i = open + 1
  if (buf[i] === RBRACKET) return 0
  let n = 1
  for (; i < end; i++) {
    const c = buf[i]
    if (c === 44) n++
    else if (c === RBRACKET) return n
    else if (c === QUOTE || c === LBRACE || c === LBRACKET) return -1
  }
  return -1
}

/** Parse one JSON value from a byte range; undefined when it is not valid JSON. */
export function parseJson(buf: Buffer, s: number, e: number): unknown {
  try {
    return JSON.parse(buf.toString('utf8', s, e))
  } catch {
    return undefined
  }
}

/** A short, printable excerpt of a byte range for error messages. */
export function excerpt(buf: Buffer, s: number, e: number, max = 200): string {
  const text = buf.toString('utf8', s, Math.min(e, s + max))
  return e - s > max ? `${text}…` : text
}
