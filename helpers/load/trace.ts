// Request traces to replay: when each request arrived and how many tokens it read and wrote. Two public shapes:
//   CSV with a header, the Azure LLM inference trace columns: TIMESTAMP,ContextTokens,GeneratedTokens
//     (TIMESTAMP a date-time such as `2023-11-16 18:15:46.6805900` or `2024-05-10 00:00:00.009930+00:00`,
//     or plain seconds);
//   BurstGPT's CSV: Timestamp (seconds),Model,Request tokens,Response tokens,Total tokens,Log Type — its failed
//     requests (0 response tokens) are left out and counted;
//   JSONL, Mooncake style: {"timestamp": <ms>, "input_length": n, "output_length": n, "hash_ids": […]}; hash_ids
//     name the prompt's blocks (512 tokens each by default, the last one partial): requests that list the same
//     leading ids share those leading prompt tokens, which a prefix cache can reuse (trace-blocks.ts builds them).
// Offsets are taken relative to the first request (sorted by time) and multiplied by the time scale, so a trace
// recorded over hours can be replayed faster (timeScale 0.1 = ten times as fast) or slower (2 = half speed).
import { closeSync, openSync, readSync } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'

export interface TraceEntry {
  /** ms after the trace's first request (already scaled). */
  offsetMs: number
  inputTokens: number
  outputTokens: number
  /** Mooncake: the ids of the prompt's blocks, in order (kept only for the blocks inside inputTokens). */
  hashIds?: readonly number[]
}

export interface TraceOptions {
  /** Path of a .csv (Azure columns) or .jsonl / .json-lines (Mooncake) trace. */
  file: string
  /** Multiplier on the trace's time axis (default 1: real time; 0.5 = twice as fast). */
  timeScale?: number
  /** Replay only the first N requests of the trace. */
  limit?: number
  /** Clamp each request's prompt/output tokens (servers with a small context cannot take a 30k-token prompt). */
  maxInputTokens?: number
  maxOutputTokens?: number
  /** Tokens per Mooncake hash_ids block (default 512, Mooncake's), cut with the server's tokenizer. */
  blockTokens?: number
}

/** Mooncake's block size: each hash id stands for this many prompt tokens. */
export const MOONCAKE_BLOCK_TOKENS = 512

export interface Trace {
  entries: TraceEntry[]
  format: 'azure-csv' | 'burstgpt-csv' | 'mooncake-jsonl'
  /** Requests whose lengths were clamped by maxInputTokens / maxOutputTokens. */
  clamped: number
  /** Rows left out: BurstGPT's failed requests (0 response tokens). */
  failedRows: number
  /** Requests per second over the (scaled) trace: (n − 1) / span. */
  meanRate: number
}

const HINT =
  'A trace is a CSV with the header TIMESTAMP,ContextTokens,GeneratedTokens (the Azure LLM inference trace) or Timestamp,…,Request tokens,Response tokens (BurstGPT), or JSONL lines {"timestamp": ms, "input_length": n, "output_length": n} (Mooncake); fix the file or the case\'s trace option.'

function bad(file: string, what: string): Error {
  return new Error(`trace ${file}: ${what}. ${HINT}`)
}

// date-time with any number of fractional digits and an optional zone (none = UTC): the fraction is added
// separately because Date.parse keeps only milliseconds and the traces give µs or 100 ns digits
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$/

/** A CSV TIMESTAMP in ms (absolute; only differences matter). */
export function timestampMs(raw: string): number | undefined {
  const s = raw.trim()
  if (/^[+-]?\d+(\.\d+)?$/.test(s)) return Number(s) * 1000
  const m = DATE_TIME.exec(s)
  if (!m) return undefined
  const zone = m[4] === undefined || m[4] === 'Z' ? 'Z' : m[4].length === 5 ? `${m[4].slice(0, 3)}:${m[4].slice(3)}` : m[4]
  const whole = Date.parse(`${m[1]}T${m[2]}${zone}`)
  if (!Number.isFinite(whole)) return undefined
  return whole + (m[3] ? Number(`0.${m[3]}`) * 1000 : 0)
}

function count(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined
}

interface Raw {
  t: number
  input: number
  output: number
  hashIds?: number[]
}

/**
 * The rows a replay keeps: all of them, or with a limit only the `limit` earliest (by time, then file order) — cut
 * as they stream in, so a week-long trace replayed in part never holds more than twice the limit.
 */
class Rows {
  private rows: Array<Raw & { i: number }> = []
  private n = 0

  constructor(private readonly limit?: number) {}

  push(r: Raw): void {
    this.rows.push({ ...r, i: this.n++ })
    if (this.limit !== undefined && this.rows.length >= 2 * Math.max(1, this.limit)) this.cut()
  }

  private cut(): void {
    this.rows.sort((a, b) => a.t - b.t || a.i - b.i)
    if (this.limit !== undefined) this.rows.length = Math.min(this.rows.length, Math.max(0, this.limit))
  }

  /** In replay order (a stable sort: ties keep their file order), cut to the limit. */
  done(): Raw[] {
    this.cut()
    return this.rows
  }
}

/** A file's lines (with any \r kept: stripCr), read 1 MiB at a time (a trace of gigabytes is never one string). */
function* fileLines(path: string): Generator<string> {
  const fd = openSync(path, 'r')
  const buf = Buffer.allocUnsafe(1 << 20)
  const dec = new StringDecoder('utf8')
  let rest = ''
  try {
    for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null)) {
      const parts = (rest + dec.write(buf.subarray(0, n))).split('\n')
      rest = parts.pop() ?? ''
      yield* parts
    }
    rest += dec.end()
    if (rest !== '') yield rest
  } finally {
    closeSync(fd)
  }
}

function parseCsv(file: string, source: Iterable<string>, rows: Rows): { burst: boolean; failed: number } {
  const lines = (function* () {
    for (const l of source) if (l.trim() !== '') yield l
  })()
  const first = lines.next()
  if (first.done) throw bad(file, 'the file is empty')
  const cells = (l: string) => l.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'))
  const header = cells(first.value).map((h) => h.toLowerCase())
  const col = (...names: string[]) => header.findIndex((h) => names.includes(h))
  const ti = col('timestamp')
  const ii = col('contexttokens', 'input_tokens', 'input_length', 'request tokens')
  const oi = col('generatedtokens', 'output_tokens', 'output_length', 'response tokens')
  const burst = header.includes('request tokens')
  let failed = 0
  if (ti < 0 || ii < 0 || oi < 0) throw bad(file, `the CSV header "${first.value}" lacks TIMESTAMP, ContextTokens or GeneratedTokens`)
  let n = 0
  for (const line of lines) {
    n++
    const c = cells(line)
    const t = timestampMs(c[ti] ?? '')
    const input = count(c[ii])
    const output = count(c[oi])
    if (t === undefined || input === undefined || output === undefined)
      throw bad(file, `line ${n + 1} ("${line}") needs a date-time or seconds TIMESTAMP and whole token counts`)
    // BurstGPT logs a failed request with 0 response tokens: nothing was generated, so nothing to replay
    if (burst && output === 0) {
      failed++
      continue
    }
    rows.push({ t, input, output })
  }
  return { burst, failed }
}

function parseJsonl(file: string, lines: Iterable<string>, rows: Rows): { burst: false; failed: 0 } {
  let n = -1
  for (const line of lines) {
    n++
    if (line.trim() === '') continue
    let o: Record<string, unknown>
    try {
      o = JSON.parse(line) as Record<string, unknown>
    } catch (e) {
      throw bad(file, `line ${n + 1} is not JSON (${(e as Error).message})`)
    }
    const t = typeof o?.timestamp === 'number' && Number.isFinite(o.timestamp) ? o.timestamp : undefined
    const input = count(o?.input_length)
    const output = count(o?.output_length)
    if (t === undefined || input === undefined || output === undefined)
      throw bad(file, `line ${n + 1} needs a numeric "timestamp" (ms) and whole "input_length" and "output_length"`)
    const ids = o.hash_ids
    if (ids !== undefined && !(Array.isArray(ids) && ids.every((x) => count(x) !== undefined)))
      throw bad(file, `line ${n + 1} has "hash_ids" that are not a list of whole numbers`)
    rows.push({ t, input, output, ...(Array.isArray(ids) && ids.length > 0 ? { hashIds: ids as number[] } : {}) })
  }
  return { burst: false, failed: 0 }
}

export function parseTrace(file: string, text: string, opts: Omit<TraceOptions, 'file'> = {}): Trace {
  return traceOf(file, text, text.split('\n'), opts)
}

/** `head`: the start of the file (what tells a CSV from JSONL when the name does not); `lines`: all of it. */
function traceOf(file: string, head: string, lines: Iterable<string>, opts: Omit<TraceOptions, 'file'>): Trace {
  const scale = opts.timeScale ?? 1
  if (!(scale > 0) || !Number.isFinite(scale))
    throw new Error(`trace timeScale must be a positive number, got ${scale}: fix the case's trace.timeScale option.`)
  const csv = /\.csv$/i.test(file) || (!/\.jsonl?$/i.test(file) && /^\s*[A-Za-z"]/.test(head))
  const rows = new Rows(opts.limit)
  const parsed = csv ? parseCsv(file, stripCr(lines), rows) : parseJsonl(file, stripCr(lines), rows)
  // replay in time order (files are usually sorted; a stable sort keeps ties in file order)
  const raw = rows.done()
  if (raw.length === 0 && (opts.limit === undefined || opts.limit > 0)) throw bad(file, 'it has no requests')
  const t0 = raw[0]?.t ?? 0
  const block = opts.blockTokens ?? MOONCAKE_BLOCK_TOKENS
  if (!(Number.isInteger(block) && block >= 1))
    throw new Error(`trace blockTokens must be a whole number ≥ 1, got ${block}: fix the case's trace.blockTokens option.`)
  let clamped = 0
  const entries = raw.map((r): TraceEntry => {
    const input = Math.max(1, Math.min(r.input, opts.maxInputTokens ?? Infinity))
    const output = Math.max(1, Math.min(r.output, opts.maxOutputTokens ?? Infinity))
    if (input !== r.input || output !== r.output) clamped++
    // a clamped prompt keeps the blocks it still reaches into
    const hashIds = r.hashIds?.slice(0, Math.ceil(input / block))
    return { offsetMs: (r.t - t0) * scale, inputTokens: input, outputTokens: output, ...(hashIds ? { hashIds } : {}) }
  })
  const span = entries.length > 1 ? entries[entries.length - 1].offsetMs : 0
  return {
    entries,
    format: parsed.burst ? 'burstgpt-csv' : csv ? 'azure-csv' : 'mooncake-jsonl',
    clamped,
    failedRows: parsed.failed,
    meanRate: span > 0 ? ((entries.length - 1) * 1000) / span : 0,
  }
}

function* stripCr(lines: Iterable<string>): Generator<string> {
  for (const l of lines) yield l.endsWith('\r') ? l.slice(0, -1) : l
}

/** Read a trace file as it streams in (1 MiB at a time), keeping only the rows the replay needs. */
export function loadTrace(opts: TraceOptions): Trace {
  let head: string
  try {
    const fd = openSync(opts.file, 'r')
    try {
      const buf = Buffer.alloc(256)
      head = buf.toString('utf8', 0, readSync(fd, buf, 0, buf.length, 0))
    } finally {
      closeSync(fd)
    }
  } catch (e) {
    throw new Error(`trace ${opts.file} cannot be read (${(e as Error).message}): check the path given to the case's trace option.`, { cause: e })
  }
  return traceOf(opts.file, head, fileLines(opts.file), opts)
}
