// Reader for the 16-column FuZe CSV (bench.csv) that also accepts what the old shell suite wrote:
// 17-field rows, gpu_mem_mib with a leading space, `YYYYMMDD_HHMMSS` timestamps. Never throws on a bad
// row: it is skipped with a warning naming the file and line, so years of history stay readable.
import { readFileSync } from 'node:fs'
import { readCsvRecords } from './csv-text.ts'
import { CSV16_HEADER } from './csv16.ts'

export const CSV16_COLUMNS = CSV16_HEADER
export type Csv16Column = (typeof CSV16_COLUMNS)[number]
export type Csv16Row = Record<Csv16Column, string>

export interface Csv16Read {
  rows: Csv16Row[]
  warnings: string[]
}

/** `20250102_030405` → `2025-01-02T03:04:05` (local time; the old suite wrote no offset). ISO input is kept. */
export function normalizeTs(ts: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(ts.trim())
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}` : ts.trim()
}

/**
 * The old suite's 17-field rows carried one extra field somewhere after tokens_per_sec (column 12 in every
 * stack). Columns 1–12 are positional and gpu_mem_mib is the last field; of the four in between, the UUID
 * is the `GPU-…` one, the label the `nvidia-…`/`cpu` one, the name the field after the label, and the
 * leftover is the extra field. Without those markers the extra field is assumed to be the first.
 */
function fromSeventeen(f: string[]): string[] {
  const tail = f.slice(12, 16).map((x) => x.trim())
  const uuidAt = tail.findIndex((x) => /^GPU-/i.test(x))
  const labelAt = tail.findIndex((x, i) => i !== uuidAt && /^((nvidia|amd|intel)-\S+|cpu)$/i.test(x))
  if (labelAt < 0) return [...f.slice(0, 12), ...f.slice(13)]
  const nameAt = [labelAt + 1, ...[0, 1, 2, 3]].find((i) => i < 4 && i !== labelAt && i !== uuidAt)!
  return [...f.slice(0, 12), tail[labelAt], tail[nameAt], uuidAt >= 0 ? tail[uuidAt] : '', f[16]]
}

export function parseCsv16(text: string, source: string): Csv16Read {
  const { records, warnings } = readCsvRecords(text, source)
  const rows: Csv16Row[] = []
  records.forEach(({ fields, line }, i) => {
    if (i === 0 && fields[0]?.trim() === 'ts') return
    let f = fields
    if (f.length === 17) f = fromSeventeen(f)
    if (f.length !== 16) {
      warnings.push(`${source}: line ${line} has ${fields.length} fields, expected 16 (or 17 from the old suite); skipped`)
      return
    }
    const row = Object.fromEntries(CSV16_COLUMNS.map((c, k) => [c, f[k].trim()])) as Csv16Row
    row.ts = normalizeTs(row.ts)
    if (!Number.isFinite(Number(row.tokens_per_sec)) || row.tokens_per_sec === '') {
      warnings.push(`${source}: line ${line} has tokens_per_sec '${row.tokens_per_sec}', not a number; counted as 0`)
      row.tokens_per_sec = '0.00'
    }
    rows.push(row)
  })
  return { rows, warnings }
}

export function readCsv16(path: string): Csv16Read {
  return parseCsv16(readFileSync(path, 'utf8'), path)
}

export function tokps(row: { tokens_per_sec: string }): number {
  const v = Number(row.tokens_per_sec)
  return Number.isFinite(v) ? v : 0
}
