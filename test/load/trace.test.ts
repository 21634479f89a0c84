// Trace files: the Azure LLM inference trace CSV and Mooncake JSONL as published, the time scale, cuts and the
// one-paragraph errors of a bad file; then a replay through the open-loop scheduler against the simulator.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendOne } from '../../helpers/case-run.ts'
import { HANDOVER_MS, runSchedule } from '../../helpers/load/scheduler.ts'
import { loadTrace, parseTrace, timestampMs } from '../../helpers/load/trace.ts'
import { simRef, useTempRunDir, type SimRef } from './sim-ref.ts'

const AZURE = `TIMESTAMP,ContextTokens,GeneratedTokens
2023-11-16 18:15:46.6805900,374,44
2023-11-16 18:15:50.9951690,396,109
2023-11-16 18:15:51.2500000,879,31
`
const AZURE_2024 = `TIMESTAMP,ContextTokens,GeneratedTokens
2024-05-10 00:00:00.009930+00:00,2162,5
2024-05-10 00:00:00.031940+00:00,1264,4
`
const MOONCAKE = `{"timestamp": 0, "input_length": 6955, "output_length": 52, "hash_ids": [0, 1, 2]}
{"timestamp": 2500, "input_length": 6472, "output_length": 26, "hash_ids": [0, 3]}

{"timestamp": 1000, "input_length": 100, "output_length": 10, "hash_ids": [9]}
`

describe('trace parsing', () => {
  it('reads Azure CSV timestamps below the millisecond, relative to the first request', () => {
    const t = parseTrace('azure.csv', AZURE)
    expect(t.format).toBe('azure-csv')
    expect(t.entries.map((e) => e.inputTokens)).toEqual([374, 396, 879])
    expect(t.entries.map((e) => e.outputTokens)).toEqual([44, 109, 31])
    expect(t.entries[0].offsetMs).toBe(0)
    expect(t.entries[1].offsetMs).toBeCloseTo(4314.579, 3)
    expect(t.entries[2].offsetMs).toBeCloseTo(4569.41, 3)
    expect(t.meanRate).toBeCloseTo(2 / 4.56941, 6)
    const z = parseTrace('a.csv', AZURE_2024)
    expect(z.entries[1].offsetMs).toBeCloseTo(22.01, 3)
    expect(timestampMs('12.5')).toBe(12500)
    expect(timestampMs('2024-05-10T00:00:00.5+02:00')).toBe(Date.parse('2024-05-09T22:00:00Z') + 500)
  })

  it('reads Mooncake JSONL (ms timestamps, hash_ids cut to the clamped prompt), sorted by time, with time scale, limit and clamps', () => {
    const t = parseTrace('m.jsonl', MOONCAKE, { timeScale: 0.5, maxInputTokens: 4096 })
    expect(t.format).toBe('mooncake-jsonl')
    expect(t.entries).toEqual([
      { offsetMs: 0, inputTokens: 4096, outputTokens: 52, hashIds: [0, 1, 2] },
      { offsetMs: 500, inputTokens: 100, outputTokens: 10, hashIds: [9] },
      { offsetMs: 1250, inputTokens: 4096, outputTokens: 26, hashIds: [0, 3] },
    ])
    expect(t.clamped).toBe(2)
    expect(parseTrace('m.jsonl', MOONCAKE, { limit: 2 }).entries.map((e) => e.offsetMs)).toEqual([0, 1000])
  })

  it("reads BurstGPT's CSV (seconds, Request/Response tokens) and leaves its failed requests out, counted", () => {
    const burst = `Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type
5,ChatGPT,472,18,490,Conversation log
45,ChatGPT,1087,0,1087,Conversation log
118,GPT-4,417,583,1000,API log
`
    const t = parseTrace('BurstGPT_1.csv', burst)
    expect(t.format).toBe('burstgpt-csv')
    expect(t.failedRows).toBe(1)
    expect(t.entries).toEqual([
      { offsetMs: 0, inputTokens: 472, outputTokens: 18 },
      { offsetMs: 113_000, inputTokens: 417, outputTokens: 583 },
    ])
  })

  it('streams a file larger than one read, keeping only the limit earliest rows, wherever they are in the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuze-trace-big-'))
    const file = join(dir, 'big.csv')
    // 60 000 rows (~2 MB, CRLF) in time order from t = 100 s, then the two earliest requests last
    const rows = Array.from({ length: 60_000 }, (_, i) => `${100 + i * 0.01},${i % 997},${1 + (i % 13)}`)
    writeFileSync(file, `TIMESTAMP,ContextTokens,GeneratedTokens\r\n${[...rows, '1.5,7,8', '2,9,10'].join('\r\n')}\r\n`)
    const t = loadTrace({ file, limit: 3 })
    expect(t.entries).toEqual([
      { offsetMs: 0, inputTokens: 7, outputTokens: 8 },
      { offsetMs: 500, inputTokens: 9, outputTokens: 10 },
      { offsetMs: 98_500, inputTokens: 0 + 1, outputTokens: 1 },
    ])
    expect(loadTrace({ file }).entries).toHaveLength(60_002)
  })

  it('names the file, the line and the expected shape when a trace is bad', () => {
    expect(() => parseTrace('x.csv', 'time,in,out\n1,2,3\n')).toThrow(
      'trace x.csv: the CSV header "time,in,out" lacks TIMESTAMP, ContextTokens or GeneratedTokens. A trace is a CSV with the header TIMESTAMP,ContextTokens,GeneratedTokens',
    )
    expect(() => parseTrace('x.csv', 'TIMESTAMP,ContextTokens,GeneratedTokens\nyesterday,5,5\n')).toThrow(
      /^trace x\.csv: line 2 \("yesterday,5,5"\) needs a date-time or seconds TIMESTAMP and whole token counts\./,
    )
    expect(() => parseTrace('x.jsonl', '{"timestamp": 1, "input_length": 2}\n')).toThrow(
      /^trace x\.jsonl: line 1 needs a numeric "timestamp" \(ms\) and whole "input_length" and "output_length"\./,
    )
    expect(() => parseTrace('x.jsonl', '{oops\n')).toThrow(/^trace x\.jsonl: line 1 is not JSON/)
    expect(() => parseTrace('x.jsonl', '\n')).toThrow(/^trace x\.jsonl: it has no requests\./)
    expect(() => parseTrace('x.jsonl', MOONCAKE, { timeScale: 0 })).toThrow(
      "trace timeScale must be a positive number, got 0: fix the case's trace.timeScale option.",
    )
    expect(() => loadTrace({ file: '/nonexistent/t.csv' })).toThrow(
      /^trace \/nonexistent\/t\.csv cannot be read \(.*ENOENT.*\): check the path given to the case's trace option\.$/,
    )
  })
})

describe('trace replay', () => {
  let s: SimRef
  beforeAll(async () => {
    useTempRunDir()
    s = await simRef({ ttftMs: 5, itlMs: 1 })
  })
  afterAll(async () => s?.close())

  // handover 0: each slot comes at its due time; HANDOVER_MS (run-load's): up to that much earlier, built meanwhile,
  // and the transport writes it at slot.sendAt — never before its due time either way
  it.each([0, HANDOVER_MS])('releases each request at its trace offset, in trace order, and sends exactly the trace (handover %d ms)', async (lead) => {
    const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ timestamp: i * 37 + (i % 3) * 5, input_length: 8 + i, output_length: 1 + (i % 4) }))
    const dir = mkdtempSync(join(tmpdir(), 'fuze-trace-'))
    writeFileSync(join(dir, 't.jsonl'), lines.join('\n'))
    const trace = loadTrace({ file: join(dir, 't.jsonl'), timeScale: 0.5 })
    const before = await s.stats()
    const t0 = performance.now()
    const offsetsMs = trace.entries.map((e) => e.offsetMs)
    const res = await runSchedule(
      { mode: 'open', rate: trace.meanRate, arrival: 'trace', offsetsMs },
      { count: 1000 },
      (slot) =>
        sendOne(s.server, { numPredict: trace.entries[slot.index].outputTokens }, { caseName: 't', fullName: 't', file: 'f' }, 'run', t0, slot.tDue, {
          signal: slot.signal,
          ...(lead > 0 ? { sendAt: slot.sendAt } : {}),
        }),
      undefined,
      undefined,
      lead,
    )
    // due offsets go through absolute performance.now() times: equal to the trace up to float rounding
    expect(res.dueOffsetsMs).toHaveLength(offsetsMs.length)
    res.dueOffsetsMs.forEach((d, i) => expect(d).toBeCloseTo(offsetsMs[i], 6))
    expect((await s.stats()).requests - before.requests).toBe(40)
    // release order = trace order, never before the hand-over; every request written at or after its due time
    for (let i = 0; i < 40; i++) expect(res.releaseOffsetsMs[i]).toBeGreaterThanOrEqual(offsetsMs[i] - lead - 1e-6)
    const sent = res.records.map((r) => t0 + r.tStartMs - res.t0).sort((a, b) => a - b)
    for (let i = 0; i < 40; i++) expect(sent[i]).toBeGreaterThanOrEqual(offsetsMs[i] - 1e-6)
    expect(res.records.map((r) => r.outputTokens).sort()).toEqual(trace.entries.map((e) => e.outputTokens).sort())
  })
})
