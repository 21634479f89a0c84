// The metric registry: every descriptor gives the known value for hand-built records (through the real
// summarizeCase), names are unique, and the names users and files already depend on (summary.json fields,
// summary.csv columns, gate ids, threshold keys, knobs) are exactly what they were before the registry.
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { KNOB_DEFS } from '../../env/index.ts'
import { summarizeCase } from '../../helpers/metrics/case.ts'
import { metricTableMarkdown } from '../../helpers/metrics/metric-table.ts'
import { csvCells, csvColumns, GATE_METRICS, METRICS, TABLE_COLUMNS, telemetryValues } from '../../helpers/metrics/registry.ts'
import type { CaseTelemetry } from '../../helpers/telemetry/types.ts'
import type { RequestRecord } from '../../helpers/types.ts'
import { baselineFromRun } from '../../reporters/baseline.ts'
import { DEFAULT_THRESHOLDS, runGate, THRESHOLD_ENV } from '../../reporters/gate.ts'
import { reportData } from '../../reporters/html.ts'
import { loadRun } from '../../reporters/run-data.ts'
import { SUMMARY_COLUMNS, summaryCsv } from '../../reporters/summary-csv.ts'
import { REPO } from '../reporters/cli.ts'
import { makeRun } from '../reporters/make-run.ts'

const ID = { caseName: 'c', fullName: 'f > c', file: 'f', stack: 'sim', model: 'm' }

/** A measured ok request; every timing is given so the expected values are plain arithmetic. */
function rec(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: 'r',
    caseName: 'c',
    phase: 'run',
    outcome: 'ok',
    startedAt: '2025-01-01T00:00:00.000Z',
    tStartMs: 0,
    queueMs: 0,
    ttftMs: 100,
    ttfotMs: 100,
    e2eMs: 1000,
    tpotMs: 10,
    itlMs: [10, 10],
    chunkGapsMs: [],
    outputTokensServer: 3,
    outputTokensClient: 3,
    outputTokens: 3,
    promptTokensServer: 50,
    tokenCountMismatch: false,
    decodeTokPerSecClient: 90,
    decodeTokPerSecServer: 100,
    server: {},
    ...over,
  }
}

describe('metric registry', () => {
  // two ok requests, one failed, one warmup (never counted)
  const records = [
    rec({ id: 'w', phase: 'warmup', ttftMs: 9999, queueMs: 9999, decodeTokPerSecServer: 1 }),
    rec({ id: 'a', tStartMs: 0, ttftMs: 100, ttfotMs: 150, e2eMs: 1000, tpotMs: 20, itlMs: [10, 30], queueMs: 2 }),
    rec({
      id: 'b',
      tStartMs: 500,
      ttftMs: 300,
      ttfotMs: 300,
      e2eMs: 2500,
      tpotMs: 40,
      itlMs: [50],
      queueMs: 4,
      decodeTokPerSecServer: 200,
      decodeTokPerSecClient: 190,
      outputTokensServer: 5,
      outputTokensClient: 4,
      outputTokens: 5,
      tokenCountMismatch: true,
    }),
    rec({
      id: 'x',
      tStartMs: 100,
      outcome: 'timeout',
      ttftMs: null,
      ttfotMs: null,
      e2eMs: 300,
      tpotMs: null,
      itlMs: [],
      queueMs: 6,
      decodeTokPerSecClient: null,
      decodeTokPerSecServer: null,
      outputTokensServer: null,
      outputTokensClient: 0,
      outputTokens: 0,
    }),
  ]
  const s = summarizeCase(ID, records)

  it('each metric takes the known value from the records', () => {
    expect(s.ttftMs).toMatchObject({ n: 2, min: 100, max: 300, mean: 200 })
    expect(s.ttfotMs).toMatchObject({ n: 2, min: 150, max: 300 })
    expect(s.itlMs).toMatchObject({ n: 3, min: 10, max: 50, mean: 30 }) // per token, both requests pooled
    expect(s.tpotMs).toMatchObject({ n: 2, mean: 30 })
    expect(s.e2eMs).toMatchObject({ n: 2, min: 1000, max: 2500 })
    expect(s.queueMs).toMatchObject({ n: 3, mean: 4 }) // failed requests waited too
    // from the scheduled arrival: the wait in the client, then the latency (ok requests only)
    expect(s.ttftFromArrivalMs).toMatchObject({ n: 2, min: 102, max: 304 })
    expect(s.e2eFromArrivalMs).toMatchObject({ n: 2, min: 1002, max: 2504 })
    expect(s.decodeTokPerSecClient).toMatchObject({ n: 2, min: 90, max: 190 })
    expect(s.decodeTokPerSecServer).toMatchObject({ n: 2, min: 100, max: 200 })
    expect(s.tokensPerSec).toBe(150) // every ok request reported a server rate: the server's median of 100 and 200
    expect(s.tokensPerSecSource).toBe('server')
    expect(s.outputTokensServerTotal).toBe(8)
    expect(s.outputTokensClientTotal).toBe(7)
    expect(s.tokenCountMismatches).toBe(1)
    expect(s.wallMs).toBe(3000) // first send 0 → last end 500 + 2500
    expect(s.requestThroughput).toBeCloseTo(2 / 3, 12)
    expect(s.outputTokenThroughput).toBeCloseTo(8 / 3, 12)
  })

  it("tok/s falls back to the client's rate when a request lacks the server's, and says so", () => {
    const t = summarizeCase(ID, [rec({ decodeTokPerSecServer: null, decodeTokPerSecClient: 42 }), rec()])
    expect([t.tokensPerSec, t.tokensPerSecSource]).toEqual([66, 'client']) // the client's median of 42 and 90
    const none = summarizeCase(ID, [rec({ outcome: 'timeout', decodeTokPerSecClient: null, decodeTokPerSecServer: null })])
    expect([none.tokensPerSec, none.tokensPerSecSource, none.requestThroughput]).toEqual([0, 'none', 0])
  })

  it('telemetry scalars are n/a until the telemetry is in, then its figures (never a made-up 0)', () => {
    const cols = (x: object) => Object.fromEntries(METRICS.flatMap((m) => csvCells(x, m)))
    expect(s).toMatchObject({ jPerOutputToken: null, energyJ: null, usdPer1MOutputTokens: null, powerSource: 'n/a' })
    expect(cols(s)).toMatchObject({ j_per_output_token: 'n/a', power_source: 'n/a', usd_per_1m_output_tokens: 'n/a', server_cpu_seconds: 'n/a' })
    const telemetry = {
      powerSource: 'nvidia-smi',
      energyJ: 1200,
      meanW: 400,
      peakW: 410.5,
      jPerOutputToken: 150,
      gpuUtilMeanPct: 65,
      gpuMemPeakMib: 3072,
      cpuSeconds: null,
      usdPer1MOutputTokens: 2.5,
    } as unknown as CaseTelemetry
    const v = telemetryValues({ requests: 2, ok: 2, wallMs: 3000, sum: 0, dists: {}, telemetry })
    expect(v).toEqual({
      jPerOutputToken: 150,
      powerSource: 'nvidia-smi',
      energyJ: 1200,
      powerMeanW: 400,
      powerPeakW: 410.5,
      gpuUtilMeanPct: 65,
      gpuMemPeakMib: 3072,
      serverCpuSeconds: null,
      usdPer1MOutputTokens: 2.5,
    })
    expect(cols({ ...s, ...v })).toMatchObject({
      j_per_output_token: '150',
      power_source: 'nvidia-smi',
      power_peak_w: '410.5',
      server_cpu_seconds: 'n/a',
      usd_per_1m_output_tokens: '2.5',
    })
  })

  it('names are unique, one headline, every gated metric knows which way is better', () => {
    const uniq = (xs: string[]) => expect(new Set(xs).size).toBe(xs.length)
    uniq(METRICS.map((m) => m.id))
    uniq(METRICS.map((m) => m.json))
    uniq(METRICS.flatMap(csvColumns))
    uniq(GATE_METRICS.map((g) => g.knob))
    expect(METRICS.filter((m) => m.kind === 'scalar' && 'headline' in m && m.headline)).toHaveLength(1)
    for (const g of GATE_METRICS) expect(g.metric.better, g.id).not.toBeNull()
    for (const m of METRICS) expect(m.definition.length, m.id).toBeGreaterThan(20)
  })

  it('keeps the names files and users already depend on', () => {
    expect(SUMMARY_COLUMNS.slice(19, 25)).toEqual(['tokens_per_sec', 'tokens_per_sec_source', 'requests', 'warmup', 'ok', 'failed'])
    expect(SUMMARY_COLUMNS).toContain('decode_tps_server_p99')
    expect(GATE_METRICS.slice(0, 7).map((g) => [g.id, g.samples, g.threshold, g.knob, g.label])).toEqual([
      ['tokps', 'tokps', 'tokpsDropPct', 'BENCH_GATE_TOKPS_DROP_PCT', 'tok/s (median)'],
      ['ttft_p50', 'ttftMs', 'ttftP50RisePct', 'BENCH_GATE_TTFT_P50_RISE_PCT', 'TTFT p50 ms'],
      ['ttft_p99', 'ttftMs', 'ttftP99RisePct', 'BENCH_GATE_TTFT_P99_RISE_PCT', 'TTFT p99 ms'],
      ['tpot_p50', 'tpotMs', 'tpotP50RisePct', 'BENCH_GATE_TPOT_P50_RISE_PCT', 'TPOT p50 ms'],
      ['tpot_p99', 'tpotMs', 'tpotP99RisePct', 'BENCH_GATE_TPOT_P99_RISE_PCT', 'TPOT p99 ms'],
      ['e2e_p50', 'e2eMs', 'e2eP50RisePct', 'BENCH_GATE_E2E_P50_RISE_PCT', 'E2E p50 ms'],
      ['e2e_p99', 'e2eMs', 'e2eP99RisePct', 'BENCH_GATE_E2E_P99_RISE_PCT', 'E2E p99 ms'],
    ])
    expect(DEFAULT_THRESHOLDS).toMatchObject({
      tokpsDropPct: 10,
      ttftP50RisePct: 15,
      ttftP99RisePct: 30,
      tpotP50RisePct: 10,
      e2eP99RisePct: 25,
      errorRateMaxPct: 0,
      alpha: 0.05,
    })
    expect(THRESHOLD_ENV.e2eP50RisePct).toBe('BENCH_GATE_E2E_P50_RISE_PCT')
    expect(TABLE_COLUMNS[0].header).toBe('tok/s')
  })

  it('every metric reaches summary.json, summary.csv, the report table, the gate, the knob schema and the README', () => {
    const run = loadRun(makeRun(mkdtempSync(join(tmpdir(), 'fuze-reg-')), 'r', [{ stack: 'llama.cpp', model: 'm', tokps: 50 }]))
    const c = run.summary!.cases[0]
    const [header, row] = summaryCsv(run.summary!)
      .trim()
      .split('\n')
      .map((l) => l.split(','))
    const report = reportData(run, null)
    const gate = runGate(run, { baseline: { ...baselineFromRun(run, 'b'), path: 'b.json' }, env: {} })
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8')
    for (const m of METRICS) {
      expect(c.summary, m.id).toHaveProperty(m.json)
      const measured = m.kind === 'scalar' || (c.summary as unknown as Record<string, { n: number }>)[m.json].n > 0 // make-run records have no TTFOT
      // make-run cases have no telemetry: its scalars say n/a (never 0)
      const want = 'telemetry' in m ? /^n\/a$/ : measured ? /^[0-9a-z.]+$/ : /^0?$/
      for (const col of csvColumns(m)) expect(row[header.indexOf(col)], `${m.id}: summary.csv ${col}`).toMatch(want)
    }
    expect(report.metricColumns.map((x) => x.header)).toEqual(TABLE_COLUMNS.map((x) => x.header))
    expect(report.cases[0].metrics.every((v) => v !== null && Number.isFinite(v))).toBe(true)
    expect(gate.rows.map((r) => r.metric)).toEqual(GATE_METRICS.map((g) => g.id))
    for (const g of GATE_METRICS) {
      expect(KNOB_DEFS.find((d) => d.name === g.knob)?.default, g.knob).toBe(String(g.defaultPct))
      expect(readme, g.knob).toContain(`| \`${g.knob}\` | output | \`${g.defaultPct}\` |`)
    }
  })

  it("prefill tok/s: prompt tokens ÷ TTFT per ok request; none without the server's prompt count", () => {
    expect(s.prefillTokPerSec).toMatchObject({ n: 2, min: 50000 / 300, max: 50000 / 100 }) // 50 prompt tokens in 300 ms and 100 ms
    const t = summarizeCase(ID, [rec({ promptTokensServer: 2048, ttftMs: 512 }), rec({ promptTokensServer: null }), rec({ ttftMs: 0 })])
    expect(t.prefillTokPerSec).toMatchObject({ n: 1, p50: 4000 })
  })

  it('the gate fails a case whose prefill tok/s halved (TTFT doubled at the same prompt length)', () => {
    const results = mkdtempSync(join(tmpdir(), 'fuze-prefill-'))
    const base = loadRun(makeRun(results, 'fast', [{ stack: 'llama.cpp', model: 'm', tokps: 50, ttftMs: 40 }], { seed: 3 }))
    const now = loadRun(makeRun(results, 'slow', [{ stack: 'llama.cpp', model: 'm', tokps: 50, ttftMs: 80 }], { seed: 4 }))
    const g = runGate(now, { baseline: { ...baselineFromRun(base, 'b'), path: 'b.json' }, env: {} })
    const row = g.regressions.find((r) => r.metric === 'prefill_p50')!
    expect([row.label, row.thresholdPct, g.passed]).toEqual(['Prefill p50 tok/s', 15, false])
    expect(Math.abs(row.changePct! + 50)).toBeLessThan(5) // −50% within the 5% per-request jitter of make-run
  })

  it('README.md holds exactly the generated metric table (npx tsx env/knob-table.ts --write)', () => {
    const m = readFileSync(join(REPO, 'README.md'), 'utf8').match(/<!-- metrics:start -->\n([\s\S]*?)\n<!-- metrics:end -->/)
    expect(m?.[1]).toBe(metricTableMarkdown())
  })
})
