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

  /**
   * Like in(), but first tries where the pattern sat in the previous event: a stream's events share their
   * prefix (same id, model, created), so the key is usually at the same offset and no search is needed.
   */
  near(buf: Buffer, start: number, end: number): number {
    const p = start + this.offset
    if (p + this.length <= end && this.matchesAt(buf, p)) return p
    const i = this.in(buf, start, end)
    if (i >= 0) this.offset = i - start
    return i
  }

  private offset = 0

  private matchesAt(buf: Buffer, p: number): boolean {
    const pat = this.pattern
    for (let k = 0; k < this.length; k++) if (buf[p + k] !== pat[k]) return false
    return true
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
  return e - s === 6 && buf[s] === LBRACKET && buf[s + 1] === 68 && buf[s + 2] === 79 && buf[s + 3] === 78 && buf[s + 4] === 69 && buf[s + 5] === RBRACKET
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

/** Index of the quote that closes a JSON string whose first character is at `from`, or -1. */
export function stringEnd(buf: Buffer, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    const c = buf[i]
    if (c === QUOTE) return i
    if (c === 92) i++ // backslash: the next byte is escaped
  }
  return -1
}

/**
 * The bytes around the output value of a plain token event, learned from an event the key checks
 * verified. Inside one stream, such events differ only in that value (same id, model, created, nulls),
 * so an event with identical bytes before and after its value is a plain token event too: no search
 * for the rare keys is needed. A server that varies other fields per event just never matches.
 */
export class Template {
  private prefix: Buffer | null = null
  private suffix: Buffer | null = null

  /** Length of the output value when the event matches the template, else -1. */
  match(buf: Buffer, s: number, e: number): number {
    const pre = this.prefix
    const suf = this.suffix
    if (pre === null || suf === null) return -1
    const pl = pre.length
    const vEnd = e - suf.length
    if (vEnd < s + pl) return -1
    if (buf.compare(pre, 0, pl, s, s + pl) !== 0 || buf.compare(suf, 0, suf.length, vEnd, e) !== 0) return -1
    // The value must be one string exactly filling the gap: its closing quote is the suffix's first byte.
    return stringEnd(buf, s + pl, vEnd + 1) === vEnd ? vEnd - s - pl : -1
  }

  learn(buf: Buffer, s: number, valueStart: number, e: number): void {
    const vEnd = stringEnd(buf, valueStart, e)
    if (vEnd < 0) return
    this.prefix = Buffer.from(buf.subarray(s, valueStart))
    this.suffix = Buffer.from(buf.subarray(vEnd, e))
  }
}
