// CSV reading (csv-parse) and the one CSV writer every reporter uses, so quoting is identical in bench.csv,
// the aggregate, best-of and summary files.
import { parse } from 'csv-parse/sync'
import { stringify } from 'csv-stringify/sync'

export interface CsvRecord {
  fields: string[]
  /** 1-based line of the file where the record starts (blank lines and newlines inside quotes counted). */
  line: number
}

export interface CsvRead {
  records: CsvRecord[]
  /** Records csv-parse could not read, each with the line it starts on. */
  warnings: string[]
}

/**
 * Line numbers from byte offsets. csv-parse's own `lines` counts the line a record ends on, and counts a CRLF
 * inside a quoted field twice, so the start of each record is found from the byte offset where the previous
 * record ended (csv-parse's `bytes`, BOM included), past any blank lines.
 */
function lineFinder(text: string): (afterByte: number) => number {
  const buf = Buffer.from(text, 'utf8')
  const starts = [0]
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0x0d && buf[i + 1] === 0x0a) i++
    if (buf[i] === 0x0a || buf[i] === 0x0d) starts.push(i + 1)
  }
  return (afterByte) => {
    let at = afterByte
    while (buf[at] === 0x0a || buf[at] === 0x0d) at++
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (starts[mid] <= at) lo = mid
      else hi = mid - 1
    }
    return lo + 1
  }
}

/**
 * Lenient RFC 4180 reading, as history files written by older tools need: a BOM is dropped, CRLF, LF and CR
 * may mix, blank lines are skipped, rows may differ in length and a stray quote inside an unquoted field is
 * kept as text. Never throws: a record csv-parse rejects (an unclosed quote swallows the rest of the file)
 * becomes a warning naming `source` and the line the record starts on.
 */
export function readCsvRecords(text: string, source: string): CsvRead {
  const lineAfter = lineFinder(text)
  const warnings: string[] = []
  const records: CsvRecord[] = []
  let endByte = 0
  parse(text, {
    bom: true,
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_record: (fields: string[], ctx) => {
      records.push({ fields, line: lineAfter(endByte) })
      endByte = ctx.bytes
      return null
    },
    on_skip: (err) => {
      if (!err) return
      const what = err.code === 'CSV_QUOTE_NOT_CLOSED' ? 'from there to the end of the file' : 'that record'
      warnings.push(`${source}: line ${lineAfter(endByte)}: ${err.message.replace(/:.*$/s, '').toLowerCase()} (${err.code}); skipped ${what}`)
    },
  })
  return { records, warnings }
}

/** Rows of fields, for callers that need no line numbers (the aggregate, tests). */
export function parseCsv(text: string): string[][] {
  return readCsvRecords(text, 'csv').records.map((r) => r.fields)
}

/** Header + records → CSV text with a trailing newline, fields quoted only when needed. */
export function toCsv(header: readonly string[], records: ReadonlyArray<Readonly<Record<string, string>>>): string {
  return stringify(
    records.map((r) => header.map((h) => r[h] ?? '')),
    { header: true, columns: header.map((h) => ({ key: String(header.indexOf(h)), header: h })) },
  )
}

/** Rows (after the header) as objects keyed by the header's names. */
export function rowsToObjects<K extends string>(header: readonly K[], rows: string[][]): Array<Record<K, string>> {
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])) as Record<K, string>)
}
