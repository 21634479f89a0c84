// Minimal RFC 4180 reader (csv-parse is not a dependency) and the one CSV writer every reporter uses,
// so quoting is identical in bench.csv, the aggregate, best-of and summary files.
import { stringify } from 'csv-stringify/sync'

/** Parse CSV text into rows of fields. Quoted fields may hold commas, quotes ("") and newlines; CRLF is accepted. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  let i = 0
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  while (i < body.length) {
    const c = body[i]
    if (quoted) {
      if (c === '"') {
        if (body[i + 1] === '"') {
          field += '"'
          i += 2
          continue
        }
        quoted = false
      } else field += c
      i++
      continue
    }
    if (c === '"' && field === '') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\n' || c === '\r') {
      row.push(field)
      field = ''
      if (!(row.length === 1 && row[0] === '')) rows.push(row)
      row = []
      if (c === '\r' && body[i + 1] === '\n') i++
    } else field += c
    i++
  }
  if (field !== '' || row.length > 0) {
    row.push(field)
    if (!(row.length === 1 && row[0] === '')) rows.push(row)
  }
  return rows
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
