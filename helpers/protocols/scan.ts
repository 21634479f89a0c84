// Byte patterns for the token-event fast path.
//
// Why this is sound: in valid JSON a quote inside a string value is always written `\"`, so the byte
// sequence `"key":` can only occur as a real object key. Servers write compact JSON (Go, serde, pydantic,
// nlohmann all do), so `"text":"` finds the text field. Anything the fast path is not sure about
// (a key missing, an unexpected value, a brace missing at either end) goes to JSON.parse, which is the
// authority; the fast path only ever says "plain token event with/without output".
//
// Searches are bounded by the event. Buffer#indexOf has no end bound, and an unbounded search for a key the read
// lacks ran on to the end of the read — a whole precomputed body, ~100 KB of quote-dense JSON — once per key and
// read: 13% of the client's time in the product-path profile. Bounded, a lookup costs the event's length.

/** Key bytes by key: read-only, shared by every Finder of that key. */
const PATTERNS = new Map<string, Buffer>()

export class Finder {
  readonly pattern: Buffer
  readonly length: number

  constructor(pattern: string) {
    // every stream makes its own finders (near() keeps a per-stream offset); the bytes of a key are shared
    let bytes = PATTERNS.get(pattern)
    if (bytes === undefined) PATTERNS.set(pattern, (bytes = Buffer.from(pattern, 'latin1')))
    this.pattern = bytes
    this.length = bytes.length
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

  /** Index of the pattern inside [start, end) of buf, or -1: a search bounded by the event. */
  in(buf: Buffer, start: number, end: number): number {
    const i = buf.subarray(start, end).indexOf(this.pattern)
    return i < 0 ? -1 : start + i
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
  private prefix: Pattern | null = null
  private suffix: Pattern | null = null
  private viewOf: Buffer | null = null
  private view: DataView | null = null

  /** Length of the output value when the event matches the template, else -1. */
  match(buf: Buffer, s: number, e: number): number {
    const pre = this.prefix
    const suf = this.suffix
    if (pre === null || suf === null) return -1
    const pl = pre.bytes.length
    const vEnd = e - suf.bytes.length
    if (vEnd < s + pl) return -1
    // one DataView per read: comparing 4 bytes at a time is ~3× faster than Buffer#compare for ~130-byte prefixes
    if (buf !== this.viewOf) {
      this.viewOf = buf
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.length)
    }
    const view = this.view!
    if (!pre.at(view, buf, s) || !suf.at(view, buf, vEnd)) return -1
    // The value must be one string exactly filling the gap: its closing quote is the suffix's first byte.
    return stringEnd(buf, s + pl, vEnd + 1) === vEnd ? vEnd - s - pl : -1
  }

  learn(buf: Buffer, s: number, valueStart: number, e: number): void {
    const vEnd = stringEnd(buf, valueStart, e)
    if (vEnd < 0) return
    this.prefix = new Pattern(buf.subarray(s, valueStart))
    this.suffix = new Pattern(buf.subarray(vEnd, e))
  }
}

/** A byte string compared 4 bytes at a time (little-endian words), then byte by byte for the rest. */
class Pattern {
  readonly bytes: Buffer
  private readonly words: Uint32Array

  constructor(bytes: Buffer) {
    this.bytes = Buffer.from(bytes)
    this.words = new Uint32Array(this.bytes.length >> 2)
    for (let k = 0; k < this.words.length; k++) this.words[k] = this.bytes.readUInt32LE(k * 4)
  }

  /** Whether `buf` holds exactly these bytes at `p` (`view` is a DataView over `buf`; p + length ≤ buf.length). */
  at(view: DataView, buf: Buffer, p: number): boolean {
    const w = this.words
    for (let k = 0; k < w.length; k++) if (view.getUint32(p + k * 4, true) !== w[k]) return false
    const b = this.bytes
    for (let k = w.length * 4; k < b.length; k++) if (buf[p + k] !== b[k]) return false
    return true
  }
}
