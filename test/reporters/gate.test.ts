import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { baselineFromRun, readBaseline } from '../../reporters/baseline.ts'
import type { Baseline } from '../../reporters/gate-types.ts'
import { runGate, thresholdsFromEnv } from '../../reporters/gate.ts'
import { loadRun } from '../../reporters/run-data.ts'
import { fuzeBench } from './cli.ts'
import { fullNameOf, makeRun, type FakeCase } from './make-run.ts'

const tmp = () => mkdtempSync(join(tmpdir(), 'fuze-gate-'))
const CASES: FakeCase[] = [
  { stack: 'llama.cpp', model: 'gemma3:4b-it-fp16', tokps: 50, ttftMs: 40 },
  { stack: 'llama.cpp', model: 'gemma3:4b-it-fp16', variant: 'optimized', numGpu: '32', tokps: 62, ttftMs: 30 },
]

describe('regression gate through `fuze-bench analyze` (exit codes a CI job sees)', () => {
  const root = tmp()
  const results = join(root, 'results')
  makeRun(results, '20250101_000000-ci', CASES, { seed: 1 })
  makeRun(results, '20250102_000000-ci', CASES, { seed: 2 })
  const third = makeRun(results, '20250103_000000-ci', CASES, { seed: 3 })
  const own = join(root, 'own.json')
  const inflated = join(root, 'inflated.json')

  it('saves a baseline with per-request samples and no warmups', async () => {
    const r = await fuzeBench(['baseline', 'save', third, '--out', own])
    expect(r.code, r.out).toBe(0)
    expect(r.out).toContain(`baseline 'main' (2 case(s) from 20250103_000000-ci) written to ${own}`)
    const b = readBaseline(own)
    expect(b.cases[0].samples.tokps).toHaveLength(10) // 10 measured, the 2 slow warmups left out
    expect(Math.min(...b.cases[0].samples.tokps)).toBeGreaterThan(40)
  })

  it('passes against its own baseline (exit 0)', async () => {
    const r = await fuzeBench(['analyze', third], { BENCH_BASELINE: own })
    expect(r.code, r.out).toBe(0)
    expect(r.out).toContain(`== Gate: PASS against baseline 'main' (${own}, run 20250103_000000-ci) ==`)
    expect(r.out).not.toContain('Regressions:')
  })

  it('fails against a baseline with tok/s 3x higher, with a regression table', async () => {
    const b = JSON.parse(readFileSync(own, 'utf8')) as Baseline
    for (const c of b.cases) {
      c.values.tokps = c.values.tokps! * 3
      c.samples.tokps = c.samples.tokps.map((v) => v * 3)
    }
    writeFileSync(inflated, JSON.stringify(b))
    const r = await fuzeBench(['analyze', third, '--baseline', inflated])
    expect(r.code, r.out).toBe(1)
    expect(r.out).toContain('== Gate: FAIL')
    expect(r.out).toMatch(/Regressions:\ncase\s+metric\s+baseline\s+now\s+change\s+threshold\s+evidence\n/)
    // exact p-value of complete separation with 10 vs 10 samples: 1/C(20,10) = 5.4e-6
    expect(r.out).toMatch(/gemma3:4b-it-fp16 on llama\.cpp > decode 32 tokens\s+tok\/s \(median\)\s+\d+\.\d+\s+\d+\.\d+\s+-66\.7%\s+10%\s+p=5\.4e-6/)
    expect(r.out).toMatch(/optimized num_gpu=32\s+tok\/s \(median\)\s+.*-66\.7%/)
    const gate = JSON.parse(readFileSync(join(third, 'gate.json'), 'utf8'))
    expect(gate.passed).toBe(false)
    expect(gate.regressions.map((x: { metric: string }) => x.metric)).toEqual(['tokps', 'tokps'])
  })

  it('fails a run where every request fails, naming the reason (exit 1)', async () => {
    const dead = makeRun(results, '20250104_000000-ci', [{ ...CASES[0], failAll: true }], { seed: 4 })
    const r = await fuzeBench(['analyze', dead], { BENCH_BASELINE: own })
    expect(r.code, r.out).toBe(1)
    expect(r.out).toContain('FAIL gemma3:4b-it-fp16 on llama.cpp > decode 32 tokens: all 10 measured requests failed (connect_error×10); first error: connect ECONNREFUSED 127.0.0.1:11435')
  })

  it('writes JUnit XML when BENCH_JUNIT is set', async () => {
    const junit = join(root, 'junit.xml')
    const r = await fuzeBench(['analyze', third, '--baseline', inflated], { BENCH_JUNIT: junit })
    expect(r.code).toBe(1)
    const xml = readFileSync(junit, 'utf8')
    expect(xml).toContain('<testsuites name="fuze-bench" tests="2" failures="2">')
    expect(xml).toMatch(/<failure message="tok\/s \(median\) regressed -66\.7%: baseline [\d.]+, now [\d.]+ \(threshold 10%, p=5\.4e-6\)" type="fuze-bench-gate">/)
  })

  it('an environment threshold that is not a number is a clear error', async () => {
    const r = await fuzeBench(['analyze', third], { BENCH_BASELINE: own, BENCH_GATE_TOKPS_DROP_PCT: 'ten' })
    expect(r.code).toBe(1)
    expect(r.out).toContain("BENCH_GATE_TOKPS_DROP_PCT='ten' is not valid: expected a percentage ≥ 0 (e.g. 10). Unset it to use the default 10.")
  })
})

describe('runGate decisions', () => {
  const results = join(tmp(), 'results')

  it('does not call noise a regression: past the threshold but not significant', () => {
    const noisy = loadRun(makeRun(results, 'noisy-base', [{ ...CASES[0], jitter: 0.6 }], { seed: 11 }))
    const base = { ...baselineFromRun(noisy, 'b'), path: 'b.json' }
    const now = loadRun(makeRun(results, 'noisy-now', [{ ...CASES[0], tokps: 44, jitter: 0.6 }], { seed: 12 }))
    const g = runGate(now, { baseline: base })
    const tok = g.rows.find((r) => r.metric === 'tokps')!
    expect(tok.changePct!).toBeLessThan(-10)
    expect(tok.verdict).toBe('unchanged')
    expect(tok.note).toMatch(/^not significant \(p=0\.\d+ ≥ α=0\.05\)$/)
    expect(g.passed).toBe(true)
  })

  it('uses the bootstrap CI for p99 and reports improvements', () => {
    const slow = loadRun(makeRun(results, 'p99-base', [{ ...CASES[0], ttftMs: 80 }], { seed: 5 }))
    const fast = loadRun(makeRun(results, 'p99-now', [{ ...CASES[0], ttftMs: 40 }], { seed: 6 }))
    const g = runGate(fast, { baseline: { ...baselineFromRun(slow, 'b'), path: 'b.json' } })
    const p99 = g.improvements.find((r) => r.metric === 'ttft_p99')!
    expect(p99.test).toBe('bootstrap')
    expect(p99.ciPct![1]).toBeLessThan(-30)
    expect(g.improvements.find((r) => r.metric === 'ttft_p50')!.pValue).toBeCloseTo(1 / 184756, 9)
    expect(g.passed).toBe(true)
  })

  it('per-spec thresholds beat env, env beats defaults; error-rate ceiling and incomplete runs fail', () => {
    expect(thresholdsFromEnv({ BENCH_GATE_TTFT_P99_RISE_PCT: '50' }).ttftP99RisePct).toBe(50)
    const run = loadRun(makeRun(results, 'errs', [{ ...CASES[0], failSome: 1 }], { seed: 7, incomplete: true }))
    const strict = runGate(run, { env: {} })
    expect(strict.failures.map((f) => f.reason)).toEqual([
      'the run was interrupted (incomplete); its numbers are partial',
      'error rate 10.0% (1 of 10 requests) is above the ceiling 0% (BENCH_GATE_ERROR_RATE_MAX_PCT)',
    ])
    expect(runGate(run, { env: { BENCH_GATE_ERROR_RATE_MAX_PCT: '20' } }).failures).toHaveLength(1)
    run.summary!.cases[0].gate = { errorRateMaxPct: 5 }
    expect(runGate(run, { env: { BENCH_GATE_ERROR_RATE_MAX_PCT: '20' } }).failures).toHaveLength(2)
  })

  it('client-bound cases fail unless allowed', () => {
    const run = loadRun(makeRun(results, 'cb', [CASES[0]], { seed: 8 }))
    run.summary!.cases[0].summary.failures.push('client-bound: the load generator used 98% CPU')
    expect(runGate(run).failures[0].reason).toContain('client-bound')
    expect(runGate(run, { allowClientBound: true }).passed).toBe(true)
    expect(fullNameOf(CASES[0])).toBe(run.summary!.cases[0].fullName)
  })
})
