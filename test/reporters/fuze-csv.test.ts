import { describe, expect, it } from 'vitest'
import { parseCsv, toCsv } from '../../reporters/csv-text.ts'
import { CSV16_COLUMNS, parseCsv16 } from '../../reporters/fuze-csv.ts'

const HEADER = CSV16_COLUMNS.join(',')

describe('FuZe CSV reader', () => {
  it('reads a current 16-column bench.csv, including quoted fields', () => {
    const text = `${HEADER}\n2025-01-02T03:04:05+01:00,127.0.0.1:11435,proc,A,gemma3:4b-it-fp16,optimized,gemma3-4b-i-f16-nvidia-3090ti-ngl32,32,4096,32,128,61.61,nvidia-3090ti,"NVIDIA GeForce RTX 3090 Ti, rev ""b""",GPU-1,24564\n`
    const { rows, warnings } = parseCsv16(text, 'bench.csv')
    expect(warnings).toEqual([])
    expect(rows).toHaveLength(1)
    expect(rows[0].gpu_name).toBe('NVIDIA GeForce RTX 3090 Ti, rev "b"')
    expect(rows[0].tokens_per_sec).toBe('61.61')
  })

  it('reads the old suite: 17-field rows, " 32607" memory and YYYYMMDD_HHMMSS timestamps', () => {
    const text = [
      HEADER,
      '20240612_101500,127.0.0.1:11435,proc,A,llama3:8b,base-as-is,llama3:8b,default,4096,,128,88.20,nvidia-5090,NVIDIA GeForce RTX 5090,GPU-abc, 32607',
      '20240612_101700,127.0.0.1:11436,proc,B,llama3:8b,optimized,LLM-FuZe-llama3-8b-nvidia-5090-ng33,33,4096,,128,95.10,extra,nvidia-5090,NVIDIA GeForce RTX 5090,GPU-abc, 32607',
      'garbage,line',
      '',
    ].join('\r\n')
    const { rows, warnings } = parseCsv16(text, 'old.csv')
    expect(rows.map((r) => [r.ts, r.gpu_mem_mib, r.gpu_uuid, r.tokens_per_sec])).toEqual([
      ['2024-06-12T10:15:00', '32607', 'GPU-abc', '88.20'],
      ['2024-06-12T10:17:00', '32607', 'GPU-abc', '95.10'],
    ])
    expect(warnings).toEqual(['old.csv: line 4 has 2 fields, expected 16 (or 17 from the old suite); skipped'])
  })

  it('writes and reads back the same fields (newlines and quotes survive)', () => {
    const rec = { a: 'x\ny', b: '"q"', c: '' }
    expect(parseCsv(toCsv(['a', 'b', 'c'], [rec]))).toEqual([
      ['a', 'b', 'c'],
      ['x\ny', '"q"', ''],
    ])
  })

  it('drops a BOM and names the real line of a bad row after blank lines and a quoted field holding newlines', () => {
    const ok = '2025-01-02T03:04:05,h:1,proc,A,m,optimized,m-ngl1,1,4096,1,128,61.61,cpu,"multi\r\nline\r\nname",GPU-1,0'
    const text = `\ufeff${HEADER}\r\n\r\n${ok}\r\n\r\nshort,row\r\n`
    const { rows, warnings } = parseCsv16(text, 'bench.csv')
    expect(rows.map((r) => [r.ts, r.gpu_name])).toEqual([['2025-01-02T03:04:05', 'multi\r\nline\r\nname']])
    expect(warnings).toEqual(['bench.csv: line 7 has 2 fields, expected 16 (or 17 from the old suite); skipped'])
  })

  it('keeps the rows before an unclosed quote and says where it opened', () => {
    const row = '2025-01-02T03:04:05,h:1,proc,A,m,optimized,m-ngl1,1,4096,1,128,61.61,cpu,cpu,,0'
    const { rows, warnings } = parseCsv16(`${HEADER}\r\n${row}\r\n${row.replace('cpu,cpu', 'cpu,"cpu')}\r\n${row}\r\n`, 'old.csv')
    expect(rows).toHaveLength(1)
    expect(warnings).toEqual(['old.csv: line 3: quote not closed (CSV_QUOTE_NOT_CLOSED); skipped from there to the end of the file'])
  })
})
