import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { baselineFromRun, baselineFromRuns, readBaseline, readBaselineSource } from '../../reporters/baseline.ts'
import { finalizeRun } from '../../reporters/finalize.ts'
import { holmWeight, inconclusiveSummary, METRICS, RUN_LEVEL_ALPHA_SHARE, runGate, thresholdsFromEnv } from '../../reporters/gate.ts'
import type { Baseline, GateRow } from '../../reporters/gate-types.ts'
import { loadRun } from '../../reporters/run-data.ts'
import { fuzeBench } from './cli.ts'
import { type FakeCase, fullNameOf, makeRun } from './make-run.ts'

const tmp = () => mkdtempSync(join(tmpdir(), 'fuze-gate-'))
const CASES: FakeCase[] = [
  { stack: 'llama.cpp', model: 'gemma3:4b-it-fp16', tokps: 50, ttftMs: 40 },
  {
    stack: 'llama.cpp',
    model: 'gemma3:4b-it-fp16',
    variant: 'optimized',
    numGpu: '32',
    tokps: 62,
    ttftMs: 30,
  },
]
const scaled = (f: number, cases = CASES): FakeCase[] =>
  cases.map((c) => ({
    ...c,
    tokps: c.tokps * f,
    ttftMs: (c.ttftMs ?? 40) / f,
  }))

describe('regression gate through `fuze-bench analyze` (exit codes a CI job sees)', () => {
  const root = tmp()
  const results = join(root, 'results')
  const first = makeRun(results, '20250101_000000-ci', CASES, { seed: 1 })
  const second = makeRun(results, '20250102_000000-ci', CASES, { seed: 2 })
  const third = makeRun(results, '20250103_000000-ci', CASES, { seed: 3 })
  const own = join(root, 'own.json')
  const three = join(root, 'three.json')
  const inflated = join(root, 'inflated.json')

  it('saves a baseline of one run or of several, per case every run', async () => {
    const r = await fuzeBench(['baseline', 'save', third, '--out', own])
    expect(r.code, r.out).toBe(0)
    expect(r.out).toContain(`baseline 'main' (2 case(s) from 20250103_000000-ci) written to ${own}`)
    const b = readBaseline(own)
    expect(b.cases[0].runs).toHaveLength(1)
    expect(b.cases[0].runs[0].values.tokps).toBeGreaterThan(45)
    const r3 = await fuzeBench(['baseline', 'save', first, second, third, '--out', three])
    expect(r3.code, r3.out).toBe(0)
    expect(r3.out).toContain('(2 case(s) from 3 runs: 20250101_000000-ci, 20250102_000000-ci, 20250103_000000-ci)')
    expect(readBaseline(three).cases.map((c) => c.runs.length)).toEqual([3, 3])
    const last2 = await fuzeBench(['baseline', 'save', '--last', '2', '--results', results, '--out', join(root, 'last2.json')])
    expect(last2.out).toContain('from 2 runs: 20250102_000000-ci, 20250103_000000-ci)')
  })

  it('against its own 1-run baseline: INCONCLUSIVE, not a silent PASS (exit 0 with a warning; BENCH_GATE_INCONCLUSIVE=fail exits 1)', async () => {
    const r = await fuzeBench(['analyze', third], { BENCH_BASELINE: own })
    expect(r.code, r.out).toBe(0)
    expect(r.out).toContain(`== Gate: INCONCLUSIVE against baseline 'main' (${own}, run 20250103_000000-ci) ==`)
    expect(r.out).toContain('note: 1-run baseline (2 case(s)): run-to-run noise is assumed (±4% per run, BENCH_GATE_RUN_NOISE_PCT), not measured')
    expect(r.out).not.toContain('Regressions:')
    // the table names each undecided metric, the worst change the evidence admits and the baseline runs that would decide it
    expect(r.out).toMatch(
      /Inconclusive \(cannot exclude a change past the threshold\):\ncase\s+metric\s+baseline\s+now\s+change\s+worst admitted\s+threshold\s+baseline runs to decide\n/,
    )
    expect(r.out).toMatch(/decode 32 tokens\s+tok\/s \(median\)\s+[\d.]+\s+[\d.]+\s+[+-]0\.0%\s+\d+\.\d% worse\s+10%\s+~\d+ \(has 1\)/)
    expect(r.out).toMatch(
      /INCONCLUSIVE: the evidence cannot exclude a change past the threshold for tok\/s \(median\) \(2 case\(s\): a change up to \d+\.\d% worse is not excluded, threshold 10%; about \d+ baseline runs would decide it\)/,
    )
    const gate = JSON.parse(readFileSync(join(third, 'gate.json'), 'utf8'))
    expect(gate.verdict).toBe('INCONCLUSIVE')
    expect(gate.passed).toBe(true)
    expect(gate.inconclusive.map((x: { metric: string }) => x.metric)).toContain('tokps')
    // under Actions: a warning annotation per undecided metric, no error
    const gh = await fuzeBench(['analyze', third], { BENCH_BASELINE: own, GITHUB_ACTIONS: 'true' })
    expect(gh.code, gh.out).toBe(0)
    const strict = await fuzeBench(['analyze', third], { BENCH_BASELINE: own, BENCH_GATE_INCONCLUSIVE: 'fail' })
    expect(strict.code, strict.out).toBe(1)
    expect(strict.out).toContain('== Gate: INCONCLUSIVE (fails: BENCH_GATE_INCONCLUSIVE=fail) against baseline')
    expect(JSON.parse(readFileSync(join(third, 'gate.json'), 'utf8')).passed).toBe(false)
    const bad = await fuzeBench(['analyze', third], { BENCH_BASELINE: own, BENCH_GATE_INCONCLUSIVE: 'maybe' })
    expect(bad.code, bad.out).toBe(1)
    expect(bad.out).toContain("BENCH_GATE_INCONCLUSIVE='maybe' (from environment) is not valid: expected one of warn, fail")
  })

  it('takes a run folder, its summary.json, or a results folder (newest runs per case, not the run judged)', async () => {
    for (const source of [second, join(second, 'summary.json')]) {
      const r = await fuzeBench(['analyze', third], { BENCH_BASELINE: source })
      expect(r.code, r.out).toBe(0)
      expect(r.out).toContain(`== Gate: INCONCLUSIVE against baseline '20250102_000000-ci' (${source}, run 20250102_000000-ci) ==`)
    }
    const r = await fuzeBench(['analyze', third], {
      BENCH_BASELINE: results,
      BENCH_BASELINE_RUNS: '2',
    })
    expect(r.code, r.out).toBe(0)
    expect(r.out).toContain(`against baseline 'last 2 runs of results' (${results}, 2 runs: 20250101_000000-ci, 20250102_000000-ci) ==`)
  })

  it('fails against a baseline with tok/s 3x higher, with a regression table and adjusted p-values', async () => {
    const b = JSON.parse(readFileSync(own, 'utf8')) as Baseline
    for (const c of b.cases) c.runs[0].values.tokps = c.runs[0].values.tokps! * 3
    writeFileSync(inflated, JSON.stringify(b))
    const r = await fuzeBench(['analyze', third, '--baseline', inflated])
    expect(r.code, r.out).toBe(1)
    expect(r.out).toContain('== Gate: FAIL')
    expect(r.out).toMatch(/Regressions:\ncase\s+metric\s+baseline\s+now\s+change\s+threshold\s+evidence\n/)
    expect(r.out).toMatch(
      /gemma3:4b-it-fp16 on llama\.cpp > decode 32 tokens\s+tok\/s \(median\)\s+\d+\.\d+\s+\d+\.\d+\s+-66\.7%\s+10%\s+adj\. p=[\d.e-]+ \(p=[\d.e-]+; noise ±4\.0%\/run, 1-run baseline\)/,
    )
    expect(r.out).toMatch(/optimized num_gpu=32\s+tok\/s \(median\)\s+.*-66\.7%/)
    const gate = JSON.parse(readFileSync(join(third, 'gate.json'), 'utf8'))
    expect(gate.passed).toBe(false)
    expect(gate.regressions.map((x: { metric: string }) => x.metric)).toEqual(['tokps', 'tokps'])
    for (const x of gate.regressions) expect(x.pAdjusted).toBeGreaterThan(x.pValue)
  })

  it('fails a run where every request fails, naming the reason (exit 1)', async () => {
    const dead = makeRun(results, '20250104_000000-ci', [{ ...CASES[0], failAll: true }], { seed: 4 })
    const r = await fuzeBench(['analyze', dead], { BENCH_BASELINE: own })
    expect(r.code, r.out).toBe(1)
    expect(r.out).toContain(
      'FAIL gemma3:4b-it-fp16 on llama.cpp > decode 32 tokens: all 10 measured requests failed (connect_error×10); first error: connect ECONNREFUSED 127.0.0.1:11435',
    )
    const gate = JSON.parse(readFileSync(join(dead, 'gate.json'), 'utf8'))
    expect(gate.failures.map((f: { code: string }) => f.code)).toEqual(['all_failed'])
  })

  it('writes JUnit XML when BENCH_JUNIT is set', async () => {
    const junit = join(root, 'junit.xml')
    const r = await fuzeBench(['analyze', third, '--baseline', inflated], {
      BENCH_JUNIT: junit,
    })
    expect(r.code).toBe(1)
    const xml = readFileSync(junit, 'utf8')
    expect(xml).toContain('<testsuites name="fuze-bench" tests="2" failures="2">')
    expect(xml).toMatch(
      /<failure message="tok\/s \(median\) regressed -66\.7% \(baseline [\d.]+, now [\d.]+, threshold 10%, adj\. p=[^"]+\)" type="fuze-bench-gate">/,
    )
  })

  it('an environment threshold that is not a number is a clear error', async () => {
    const r = await fuzeBench(['analyze', third], {
      BENCH_BASELINE: own,
      BENCH_GATE_TOKPS_DROP_PCT: 'ten',
    })
    expect(r.code).toBe(1)
    // the knobs are validated before anything is read, with the message every invalid knob gets
    expect(r.out).toContain("BENCH_GATE_TOKPS_DROP_PCT='ten' (from environment) is not valid: expected a percentage ≥ 0 (e.g. 10).")
  })

  it('BENCH_UPDATE_BASELINE adds the run to a baseline file and keeps the newest BENCH_BASELINE_RUNS runs per case', async () => {
    const rolling = join(root, 'rolling.json')
    for (const runDir of [first, second, third]) {
      const r = await finalizeRun({ runDir, resultsDir: results, baseline: rolling, updateBaseline: true, baselineRuns: 2, print: () => {} })
      expect(r.failures).toEqual([])
    }
    const b = readBaseline(rolling)
    expect(b.runIds).toEqual(['20250102_000000-ci', '20250103_000000-ci'])
    expect(b.cases.map((c) => c.runs.map((x) => x.runId))).toEqual([
      ['20250102_000000-ci', '20250103_000000-ci'],
      ['20250102_000000-ci', '20250103_000000-ci'],
    ])
  })

  it('a baseline path that is neither a baseline nor a run says what it accepts', async () => {
    const junk = join(root, 'junk.json')
    writeFileSync(junk, '{"hello": 1}')
    const r = await fuzeBench(['analyze', third, '--baseline', junk])
    expect(r.code).toBe(1)
    expect(r.out).toContain(
      `${junk} is neither a fuze-bench baseline (expected "format": "fuze-bench-baseline/2") nor a run's summary.json; pass a baseline file, a run folder or its summary.json`,
    )
  })
})

describe('runGate decisions', () => {
  const results = join(tmp(), 'results')
  const base3 = (name: string, factors: number[], cases = CASES, seed = 20) => ({
    ...baselineFromRuns(
      factors.map((f, i) =>
        loadRun(
          makeRun(results, `${name}-${i}`, scaled(f, cases), {
            seed: seed + i,
          }),
        ),
      ),
      name,
    ),
    path: `${name}.json`,
  })

  it('a whole run 12% slower is run-to-run drift to a 1-run baseline, though every request is slower (no false alarm)', () => {
    const base = {
      ...baselineFromRun(loadRun(makeRun(results, 'drift-base', CASES, { seed: 11 })), 'b'),
      path: 'b.json',
    }
    const now = loadRun(makeRun(results, 'drift-now', scaled(1 / 1.12), { seed: 12 }))
    const g = runGate(now, { baseline: base })
    const tok = g.rows.find((r) => r.metric === 'tokps')!
    expect(tok.changePct!).toBeLessThan(-10)
    // not a regression, and not a PASS either: one run cannot tell drift from a change past the threshold
    expect(tok.verdict).toBe('inconclusive')
    expect(tok.note).toMatch(/^not significant against run-to-run noise \(adjusted p=0\.\d+ ≥ α=0\.05\)$/)
    expect(g.verdict).toBe('INCONCLUSIVE')
    expect(g.passed).toBe(true)
    expect(runGate(now, { baseline: base, inconclusive: 'fail' }).passed).toBe(false)
  })

  it('an unchanged run against a tight 3-run baseline PASSes outright: every median metric is bounded inside its threshold', () => {
    const tight = base3('pass3', [1, 1.01, 0.99])
    const g = runGate(loadRun(makeRun(results, 'pass3-now', CASES, { seed: 32 })), { baseline: tight })
    expect(
      g.inconclusive.map((r) => r.metric),
      g.warnings.join('\n'),
    ).toEqual([])
    expect(g.verdict).toBe('PASS')
    const tok = g.rows.find((r) => r.metric === 'tokps')!
    expect(tok.worstPct!).toBeLessThan(tok.decidePct!)
    // the same run against a noisy 3-run baseline: the spread admits a change past the threshold
    const noisy = runGate(loadRun(makeRun(results, 'pass3-now', CASES, { seed: 32 })), { baseline: base3('noisy3', [1, 1.3, 0.75]) })
    expect(noisy.verdict).toBe('INCONCLUSIVE')
  })

  it('a real 25% drop fails against a 3-run baseline; the same drop within a noisy baseline does not', () => {
    const tight = base3('tight', [1, 1.01, 0.99])
    const now = loadRun(makeRun(results, 'drop-now', scaled(0.75), { seed: 30 }))
    const g = runGate(now, { baseline: tight })
    expect(g.regressions.map((r) => `${r.metric} ${r.baselineRuns}`)).toContain('tokps 3')
    expect(g.passed).toBe(false)
    expect(g.warnings.join('\n')).not.toContain('1-run baseline')
    const noisy = base3('noisy', [1, 1.3, 0.75])
    expect(runGate(now, { baseline: noisy }).regressions.filter((r) => r.metric === 'tokps')).toEqual([])
  })

  it('Holm: adjusted p-values are at least the raw ones; the run-level family is one weighted test per metric, with 90% of α', () => {
    const tight = base3('holm', [1, 1.01, 0.99])
    const g = runGate(loadRun(makeRun(results, 'holm-now', scaled(0.75), { seed: 31 })), { baseline: tight })
    const tested = g.rows.filter((r) => r.pValue !== undefined)
    expect(tested).toHaveLength(2 * METRICS.length)
    for (const r of tested) expect(r.pAdjusted!).toBeGreaterThanOrEqual(r.pValue!)
    // every case slowed alike: the run-level tests carry the evidence, one per metric, shared by its cases
    const runLevel = tested.filter((r) => r.test === 'run-level t')
    expect(runLevel.length).toBeGreaterThanOrEqual(METRICS.length)
    const t = thresholdsFromEnv({})
    const w = (r: GateRow) => holmWeight(METRICS.find((d) => d.id === r.metric)!, t)
    const total = METRICS.reduce((a, d) => a + holmWeight(d, t), 0)
    // Holm's first step: the smallest p / w, judged on p · (total weight) / w, over the family's share of α
    const first = runLevel.reduce((a, b) => (a.pValue! / w(a) <= b.pValue! / w(b) ? a : b))
    expect(first.pAdjusted).toBeCloseTo(Math.min(1, (first.pValue! * total) / w(first) / RUN_LEVEL_ALPHA_SHARE), 12)
    for (const r of runLevel.filter((x) => x.metric === first.metric)) expect(r.pAdjusted).toBe(first.pAdjusted)
    // a p99 of 10 requests (4× the noise, a 25–30% threshold) weighs less than a median
    expect(holmWeight(METRICS.find((d) => d.id === 'ttft_p99')!, t)).toBeLessThan(holmWeight(METRICS.find((d) => d.id === 'ttft_p50')!, t))
  })

  it('time metrics: a change under the noise floor (1 ms, or the client loop-delay p99) never regresses', () => {
    const fast: FakeCase[] = [{ stack: 'llama.cpp', model: 'tiny', tokps: 2000, ttftMs: 0.8 }]
    const base = base3('floor', [1, 1.005, 0.995], fast)
    const now = loadRun(
      makeRun(results, 'floor-now', [{ ...fast[0], ttftMs: 1.3 }], {
        seed: 40,
      }),
    )
    const g = runGate(now, { baseline: base })
    const ttft = g.rows.find((r) => r.metric === 'ttft_p50')!
    expect(ttft.changePct!).toBeGreaterThan(50)
    expect(ttft.verdict).toBe('unchanged')
    expect(ttft.note).toMatch(/^change 0\.\d\d ms is within the noise floor 1\.00 ms$/)
    expect(
      runGate(now, {
        baseline: base,
        env: { BENCH_GATE_NOISE_FLOOR_MS: '0' },
      }).regressions.map((r) => r.metric),
    ).toContain('ttft_p50')
    // the client's own loop delay raises the floor
    const slow: FakeCase[] = [{ stack: 'llama.cpp', model: 'tiny', tokps: 2000, ttftMs: 10 }]
    const base10 = base3('floor10', [1, 1.005, 0.995], slow)
    const now13 = loadRun(makeRun(results, 'floor13', [{ ...slow[0], ttftMs: 13 }], { seed: 41 }))
    expect(runGate(now13, { baseline: base10 }).regressions.map((r) => r.metric)).toContain('ttft_p50')
    now13.summary!.cases[0].summary.clientHealth = {
      loopDelayP50Ms: 1,
      loopDelayP99Ms: 5,
      loopDelayMaxMs: 9,
      dispatchLagP99Ms: 0,
    }
    const judged = runGate(now13, { baseline: base10 }).rows.find((r) => r.metric === 'ttft_p50')!
    expect(judged.floorMs).toBe(5)
    expect(judged.verdict).toBe('unchanged')
  })

  it('reports improvements', () => {
    const slow = base3('imp', [1, 1.01, 0.99], [{ ...CASES[0], ttftMs: 80 }])
    const g = runGate(loadRun(makeRun(results, 'imp-now', [{ ...CASES[0], ttftMs: 40 }], { seed: 6 })), { baseline: slow })
    expect(g.improvements.map((r) => r.metric)).toEqual(expect.arrayContaining(['ttft_p50', 'ttft_p99']))
    expect(g.regressions).toEqual([])
    expect(g.passed).toBe(true)
  })

  it('per-spec thresholds beat env, env beats defaults; error-rate ceiling and incomplete runs fail with codes', () => {
    expect(thresholdsFromEnv({ BENCH_GATE_TTFT_P99_RISE_PCT: '50' }).ttftP99RisePct).toBe(50)
    const run = loadRun(
      makeRun(results, 'errs', [{ ...CASES[0], failSome: 1 }], {
        seed: 7,
        incomplete: true,
      }),
    )
    const strict = runGate(run, { env: {} })
    expect(strict.failures.map((f) => [f.code, f.message])).toEqual([
      ['interrupted', 'the run was interrupted (incomplete); its numbers are partial'],
      ['error_rate', 'error rate 10.0% (1 of 10 requests) is above the ceiling 0% (BENCH_GATE_ERROR_RATE_MAX_PCT)'],
    ])
    expect(runGate(run, { env: { BENCH_GATE_ERROR_RATE_MAX_PCT: '20' } }).failures).toHaveLength(1)
    run.summary!.cases[0].gate = { errorRateMaxPct: 5 }
    expect(runGate(run, { env: { BENCH_GATE_ERROR_RATE_MAX_PCT: '20' } }).failures).toHaveLength(2)
  })

  it('client-bound cases fail unless allowed — decided on the code, whatever the text says', () => {
    const run = loadRun(makeRun(results, 'cb', [CASES[0]], { seed: 8 }))
    run.summary!.cases[0].summary.failures.push({
      code: 'client_bound',
      message: 'the load generator used 98% CPU',
    })
    expect(runGate(run).failures[0]).toMatchObject({
      code: 'client_bound',
      message: 'the load generator used 98% CPU',
    })
    expect(runGate(run, { allowClientBound: true }).passed).toBe(true)
    run.summary!.cases[0].summary.failures = [{ code: 'all_failed', message: 'mentions client-bound but is not' }]
    expect(runGate(run, { allowClientBound: true }).passed).toBe(false)
    expect(fullNameOf(CASES[0])).toBe(run.summary!.cases[0].fullName)
  })

  it('reads older files: a format-1 baseline as one run, string failures in summary.json as "unspecified"', () => {
    const dir = makeRun(results, 'legacy', [CASES[0]], { seed: 9 })
    const sj = join(dir, 'summary.json')
    const s = JSON.parse(readFileSync(sj, 'utf8'))
    s.cases[0].summary.failures = ['something old went wrong']
    writeFileSync(sj, JSON.stringify(s))
    expect(loadRun(dir).summary!.cases[0].summary.failures).toEqual([{ code: 'unspecified', message: 'something old went wrong' }])
    const v1 = join(results, 'v1.json')
    const c = baselineFromRun(loadRun(makeRun(results, 'v1run', [CASES[0]], { seed: 10 })), 'old').cases[0]
    writeFileSync(
      v1,
      JSON.stringify({
        format: 'fuze-bench-baseline/1',
        name: 'old',
        createdAt: 'x',
        runId: 'v1run',
        host: 'h',
        cases: [
          {
            ...c,
            runs: undefined,
            values: c.runs[0].values,
            samples: { tokps: [1] },
            counts: c.runs[0].counts,
          },
        ],
      }),
    )
    const b = readBaselineSource(v1)
    expect(b.runIds).toEqual(['v1run'])
    expect(b.cases[0].runs).toEqual([{ runId: 'v1run', values: c.runs[0].values, counts: c.runs[0].counts }])
  })
})

describe('the INCONCLUSIVE sentence', () => {
  it('a case measured past its threshold but not significantly says what was measured, not the smaller bound of its metric', () => {
    // as a real llama.cpp run against a 1-run baseline gave it: TTFT p50 +19.5% on one case, run-level bound 10.3%
    const row = {
      label: 'TTFT p50 ms',
      changePct: 19.49,
      thresholdPct: 15,
      decidePct: 15,
      worstPct: 10.31,
      runsToDecide: null,
      verdict: 'inconclusive',
    } as unknown as GateRow
    expect(inconclusiveSummary([row])).toContain(
      'TTFT p50 ms (1 case(s): measured up to 19.5% worse, not significant against run-to-run noise, threshold 15%; more baseline runs alone will not decide it)',
    )
  })
})
