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
import { readFileSync } from 'node:fs'

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

function parseCsv(file: string, text: string): { raw: Raw[]; burst: boolean; failed: number } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '')
  if (lines.length === 0) throw bad(file, 'the file is empty')
  const cells = (l: string) => l.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'))
  const header = cells(lines[0]).map((h) => h.toLowerCase())
  const col = (...names: string[]) => header.findIndex((h) => names.includes(h))
  const ti = col('timestamp')
  const ii = col('contexttokens', 'input_tokens', 'input_length', 'request tokens')
  const oi = col('generatedtokens', 'output_tokens', 'output_length', 'response tokens')
  const burst = header.includes('request tokens')
  let failed = 0
  if (ti < 0 || ii < 0 || oi < 0) throw bad(file, `the CSV header "${lines[0]}" lacks TIMESTAMP, ContextTokens or GeneratedTokens`)
  const out: Raw[] = []
  for (let n = 1; n < lines.length; n++) {
    const c = cells(lines[n])
    const t = timestampMs(c[ti] ?? '')
    const input = count(c[ii])
    const output = count(c[oi])
    if (t === undefined || input === undefined || output === undefined)
      throw bad(file, `line ${n + 1} ("${lines[n]}") needs a date-time or seconds TIMESTAMP and whole token counts`)
    // BurstGPT logs a failed request with 0 response tokens: nothing was generated, so nothing to replay
    if (burst && output === 0) {
      failed++
      continue
    }
    out.push({ t, input, output })
  }
  return { raw: out, burst, failed }
}

function parseJsonl(file: string, text: string): Raw[] {
  const out: Raw[] = []
  const lines = text.split(/\r?\n/)
  for (let n = 0; n < lines.length; n++) {
    if (lines[n].trim() === '') continue
    let o: Record<string, unknown>
    try {
      o = JSON.parse(lines[n]) as Record<string, unknown>
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
    out.push({ t, input, output, ...(Array.isArray(ids) && ids.length > 0 ? { hashIds: ids as number[] } : {}) })
  }
  return out
}

export function parseTrace(file: string, text: string, opts: Omit<TraceOptions, 'file'> = {}): Trace {
  const scale = opts.timeScale ?? 1
  if (!(scale > 0) || !Number.isFinite(scale))
    throw new Error(`trace timeScale must be a positive number, got ${scale}: fix the case's trace.timeScale option.`)
  const csv = /\.csv$/i.test(file) || (!/\.jsonl?$/i.test(file) && /^\s*[A-Za-z"]/.test(text))
  const parsed = csv ? parseCsv(file, text) : { raw: parseJsonl(file, text), burst: false, failed: 0 }
  let raw = parsed.raw
  if (raw.length === 0) throw bad(file, 'it has no requests')
  // replay in time order (files are usually sorted; a stable sort keeps ties in file order)
  raw = raw
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r.t - b.r.t || a.i - b.i)
    .map((x) => x.r)
  if (opts.limit !== undefined) raw = raw.slice(0, Math.max(0, opts.limit))
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

export function loadTrace(opts: TraceOptions): Trace {
  let text: string
  try {
    text = readFileSync(opts.file, 'utf8')
  } catch (e) {
    throw new Error(`trace ${opts.file} cannot be read (${(e as Error).message}): check the path given to the case's trace option.`, { cause: e })
  }
  return parseTrace(opts.file, text, opts)
}
