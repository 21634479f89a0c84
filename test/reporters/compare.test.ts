// `fuze-bench compare` as a user runs it: two run folders (and a baseline file), the console table per case,
// the gate's verdict, and compare.html opened in headless Chromium.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { baselineFromRun, writeBaseline } from '../../reporters/baseline.ts'
import { loadRun } from '../../reporters/run-data.ts'
import { openReport } from './browser.ts'
import { fuzeBench } from './cli.ts'
import { ROOT } from '../support/run-bench.ts'
import { makeRun, sweepRun } from './make-run.ts'

describe('fuze-bench compare', () => {
  it('prints both run ids and every case side by side with change and gate verdict, and writes compare.html', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fuze-compare-'))
    const results = join(root, 'results')
    const a = sweepRun(results, '20250101_000000-a', { startedAt: '2025-01-01T00:00:00Z' })
    // B: every case 70% slower: past every threshold and, though the baseline is one run (its assumed noise worth
    // 2 runs: a whole-run shift counts from about 2×), far outside the assumed run-to-run noise
    const b = sweepRun(results, '20250102_000000-b', { scale: 0.3, startedAt: '2025-01-02T00:00:00Z', seed: 7 })
    const base = join(root, 'main.json')
    writeBaseline(base, baselineFromRun(loadRun(a), 'main'))
    const out = join(root, 'cmp.html')
    const r = await fuzeBench(['compare', a, join(b, 'summary.json'), base, '--out', out])
    expect(r.code, r.out).toBe(0)
    expect(r.out).toContain(`A = 20250101_000000-a  (${a})`)
    expect(r.out).toContain(`B = 20250102_000000-b  (${join(b, 'summary.json')})`)
    expect(r.out).toContain('C = baseline main (run 20250101_000000-a)')
    const cases = loadRun(a).summary!.cases
    expect(cases).toHaveLength(14)
    for (const c of cases) expect(r.out).toContain(`== ${c.stack} ${c.model} › ${c.fullName.replace(/^\S+\.bench\.ts > /, '')} ==`)
    // B's rows: tok/s change and the gate's verdict against A
    const bRows = r.out.split('\n').filter((l) => l.startsWith('B ') && !l.startsWith('B ='))
    expect(bRows).toHaveLength(14)
    for (const l of bRows) {
      expect(l).toMatch(/^B\s+[\d.]+ \(-[67]\d\.\d%\)/) // tok/s, first column: ~70% down (per-request jitter differs by seed)
      expect(l).toMatch(/regressed: tok\/s \(median\) -[67]\d\.\d%/)
    }
    // C is A saved as a baseline: no change, and no gate verdict (the gate judges runs)
    const cRows = r.out.split('\n').filter((l) => l.startsWith('C ') && !l.startsWith('C ='))
    for (const l of cRows) expect(l).toMatch(/^C\s+[\d.]+ \([+-]0\.0%\).*—$/)
    expect(r.out).toContain(`comparison page: ${out}`)
    expect(existsSync(out)).toBe(true)

    const page = await openReport(out, join(root, 'cmp.png'))
    expect(page.consoleErrors).toEqual([])
    expect(page.nonFileRequests).toEqual([])
    expect(page.labels.tokps).toEqual(['A 20250101_000000-a', 'B 20250102_000000-b', 'C baseline main (run 20250101_000000-a)'])
    expect(page.charts.tokps).toBe(3 * 14)
    // distributions: the two runs have per-request records, the baseline file has none
    for (const id of ['dist-ttft', 'dist-itl', 'dist-e2e']) {
      expect(page.labels[id]).toEqual(['A 20250101_000000-a', 'B 20250102_000000-b'])
      expect(page.chartTitles[id]).toBe(`${cases[0].model} · ${cases[0].fullName.replace(/^\S+\.bench\.ts > /, '')}`)
    }
  })

  it('says what to pass when an input is not a run, a summary.json or a baseline', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fuze-compare-'))
    const a = makeRun(join(root, 'results'), 'r1', [{ stack: 'llama.cpp', model: 'tiny-random', tokps: 100 }])
    const missing = await fuzeBench(['compare', a, join(root, 'nope')])
    expect(missing.code).toBe(1)
    expect(missing.out).toContain(
      `compare B: ${join(root, 'nope')} does not exist. Pass a run folder (results/<run id>), its summary.json, or a baseline file.`,
    )
    const one = await fuzeBench(['compare', a])
    expect(one.code).toBe(2)
    expect(one.out).toContain('fuze-bench compare needs at least two inputs')
  })

  it('reads n/a with the reason, not a huge percentage, where the reference is ≈ 0', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fuze-compare-'))
    const results = join(root, 'results')
    const a = makeRun(results, '20250101_000000-a', [{ stack: 'sim', model: 'sim-model', name: 'decode', tokps: 100, ttftMs: 40 }])
    const b = makeRun(results, '20250102_000000-b', [{ stack: 'sim', model: 'sim-model', name: 'decode', tokps: 100, ttftMs: 40 }], { seed: 3 })
    // A's TTFT p50 is a hundredth of a millisecond (a server answering from a cache): B's 40 ms would read "+399900%"
    const sa = JSON.parse(readFileSync(join(a, 'summary.json'), 'utf8'))
    sa.cases[0].summary.ttftMs.p50 = 0.01
    writeFileSync(join(a, 'summary.json'), JSON.stringify(sa))
    // without --out the page goes beside the last run's report.html, not into the working folder
    const r = await fuzeBench(['compare', a, b])
    expect(r.code, r.out).toBe(0)
    const out = join(b, 'compare.html')
    expect(r.out).toContain(`comparison page: ${out}`)
    const bRow = r.out.split('\n').find((l) => l.startsWith('B ') && !l.startsWith('B ='))
    expect(bRow).toMatch(/^B\s+[\d.]+ \([+-]\d\.\d%\)\s+[\d.]+ \(n\/a: reference 0\.01 ms ≈ 0\)\s+[\d.]+ \([+-]\d+\.\d%\)/)
    expect(bRow).toMatch(/regressed: TTFT p50 ms n\/a \(reference ≈ 0\)/)
    expect(r.out).not.toMatch(/\+\d{4,}\.\d%/)
    const page = await openReport(out, join(root, 'cmp.png'))
    expect(page.consoleErrors).toEqual([])
    expect(page.notes).toContain('change n/a: TTFT p50: reference 0.01 ms ≈ 0; a percentage of a reference ≈ 0 says nothing')
  })

  it("puts a vllm bench result file beside our run's case on the same model, and a peer file works as BENCH_BASELINE", async () => {
    const root = mkdtempSync(join(tmpdir(), 'fuze-compare-peer-'))
    const results = join(root, 'results')
    // written by `vllm bench serve --save-result --save-detailed` (0.32.0) against the simulator serving sim-model
    const peer = join(ROOT, 'test', 'fixtures', 'peers', 'vllm-bench', 'vllm-bench.json')
    const ours = makeRun(results, '20250102_000000-b', [{ stack: 'openai', model: 'sim-model', name: 'chat short prompt', tokps: 100, ttftMs: 40 }])
    const r = await fuzeBench(['compare', peer, ours])
    expect(r.code, r.out).toBe(0)
    expect(r.out).toContain('A = vllm-bench: vllm-bench.json')
    // what the format lacks is said, not made up
    expect(r.out).toContain('no wall-clock send times')
    // one table: the peer's row (A, reference) and ours (B) under our case's name
    const tables = r.out.split('\n').filter((l) => l.startsWith('== '))
    expect(tables).toEqual(['== vllm-bench sim-model › sim-model on openai > chat short prompt =='])
    expect(r.out).toMatch(/^A\s+[\d.]+\s+[\d.]+\s+.*\s3\/3\s+reference$/m) // the sample keeps 3 of the tool's per-request rows
    expect(r.out).toMatch(/^B\s+[\d.]+ \([+-]\d+\.\d%\)/m)
    // the same file as the gate's baseline for our run
    const g = await fuzeBench(['analyze', ours], { BENCH_BASELINE: peer })
    expect(g.out).toContain(`against baseline 'vllm-bench.json'`)
    expect(g.out).not.toContain('new case, not in baseline')
  })
})
