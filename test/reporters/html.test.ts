import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { baselineFromRun, writeBaseline } from '../../reporters/baseline.ts'
import { finalizeRun } from '../../reporters/finalize.ts'
import { allRequests, groupRequests, loadRun } from '../../reporters/run-data.ts'
import { CHROMIUM, NO_CHROMIUM, openReport } from './browser.ts'
import { makeRun, sweepRun } from './make-run.ts'

describe('report.html in headless Chromium', () => {
  it('renders every chart with data, the gate verdict on top, no console errors, no network; keeps report.png', async () => {
    expect(CHROMIUM, NO_CHROMIUM).not.toBe('')
    const root = mkdtempSync(join(tmpdir(), 'fuze-html-'))
    const results = join(root, 'results')
    const prev = sweepRun(results, '20250101_000000-h', { scale: 1.25, startedAt: '2025-01-01T00:00:00Z' })
    writeBaseline(join(root, 'base.json'), baselineFromRun(loadRun(prev), 'main'))
    const dir = sweepRun(results, '20250102_000000-h', { startedAt: '2025-01-02T00:00:00Z', seed: 9 })
    // one case with failed requests, so the timeline shows errors
    const flaky = makeRun(results, 'tmp-flaky', [{ stack: 'llama.cpp', model: 'gemma3:4b-it-fp16', tokps: 45, failSome: 3, name: 'decode 32 tokens' }])
    const run = loadRun(dir)
    const extra = loadRun(flaky)
    run.summary!.cases[0] = extra.summary!.cases[0]
    run.requests = groupRequests([
      ...allRequests(run).filter((r) => r.caseName !== 'decode 32 tokens' || r.file !== extra.summary!.cases[0].file),
      ...allRequests(extra),
    ])
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(run.summary))
    writeFileSync(
      join(dir, 'requests.jsonl'),
      `${allRequests(run)
        .map((r) => JSON.stringify(r))
        .join('\n')}\n`,
    )

    const res = await finalizeRun({ runDir: dir, resultsDir: results, baseline: join(root, 'base.json'), print: () => {} })
    expect(res.failed).toBe(true)
    const png = join(dir, 'report.png')
    const page = await openReport(join(dir, 'report.html'), png)
    expect(page.consoleErrors).toEqual([])
    expect(page.nonFileRequests).toEqual([])
    expect(page.verdict).toBe('Gate: FAIL')
    expect(Object.keys(page.charts).sort()).toEqual(['e2e', 'itl', 'sweep', 'timeline', 'tokps', 'ttft'])
    expect(page.charts.tokps).toBe(14) // one bar per case
    expect(page.charts.sweep).toBe(2 * 6 + 2 * 1) // 6 candidates + the base-as-is point per model
    // every legend entry tells its case apart: model and case name (which carries variant and level), no repeats
    for (const id of ['ttft', 'itl', 'e2e']) {
      expect(page.labels[id]).toHaveLength(14)
      expect(new Set(page.labels[id]).size).toBe(14)
    }
    expect(page.labels.ttft).toContain('gemma3-4b-i-f16 · optimized num_gpu=8')
    expect(page.labels.ttft).toContain('qwen2.5-7b-instruct · decode 32 tokens')
    expect(page.labels.sweep).toContain('gemma3-4b-i-f16 on llama.cpp (nvidia-3090ti, A) base-as-is (default)')
    // TTFT spans 30…90 ms here (< 20×): linear by default
    expect(page.scales.ttft).toBe('linear')
    expect(page.charts.timeline).toBe(3 + 7 * 2) // 3 failed bars + (wait, stream) for 7 ok requests
    // the one-case-at-a-time timeline names the case it shows (the first in the picker: the flaky one)
    expect(page.chartTitles.timeline).toBe('gemma3-4b-i-f16 · decode 32 tokens')
    expect(statSync(png).size).toBeGreaterThan(50_000)
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG')
  })

  it('opens from disk with an empty run (no cases) and says so instead of drawing empty charts', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fuze-html-'))
    const dir = makeRun(join(root, 'results'), 'empty', [])
    await finalizeRun({ runDir: dir, resultsDir: join(root, 'results'), print: () => {} })
    expect(CHROMIUM, NO_CHROMIUM).not.toBe('')
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] })
    try {
      const p = await browser.newPage()
      const errors: string[] = []
      p.on('pageerror', (e) => errors.push(String(e)))
      await p.goto(pathToFileURL(join(dir, 'report.html')).href)
      await p.waitForFunction(() => (window as unknown as { __fuzeReport?: { ready: boolean } }).__fuzeReport?.ready === true)
      expect(errors).toEqual([])
      expect(await p.textContent('#verdict h2')).toBe('Gate: FAIL')
      expect(await p.locator('.empty').allTextContents()).toEqual([
        'no measured cases in this run',
        'no successful requests',
        'no successful requests',
        'no successful requests',
        'no load levels in this run (llmBench with concurrency: [...] or rate: [...])',
        'no load levels in this run (llmBench with concurrency: [...] or rate: [...])',
        'no sweep in this run',
        'no request records (requests.jsonl missing or empty)',
      ])
    } finally {
      await browser.close()
    }
  })

  it('draws a throughput–latency curve over load levels and switches TTFT to a log axis when one case is 100× slower', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fuze-html-'))
    const results = join(root, 'results')
    const levels = [1, 2, 4]
    const dir = makeRun(results, 'load', [
      ...levels.map((c) => ({ stack: 'llama.cpp', model: 'small-random', name: `decode [c=${c}]`, tokps: 30 / c, ttftMs: 20 * c })),
      { stack: 'llama.cpp', model: 'small-random', name: 'prefill 2k tokens', tokps: 20, ttftMs: 2000 },
    ])
    // the load section as the runner writes it (only what the curve reads: the mode and the level)
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))
    summary.cases.slice(0, 3).forEach((c: { summary: Record<string, unknown> }, i: number) => {
      c.summary.load = { mode: 'closed', concurrency: levels[i] }
    })
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary))
    await finalizeRun({ runDir: dir, resultsDir: results, print: () => {} })
    const page = await openReport(join(dir, 'report.html'), join(dir, 'report.png'))
    expect(page.consoleErrors).toEqual([])
    expect(page.labels.loadTtft).toEqual(['small-random · decode (concurrency) p50', 'small-random · decode (concurrency) p99'])
    expect(page.charts.loadTtft).toBe(2 * 3) // p50 and p99, one point per level
    expect(page.charts.loadTpot).toBe(2 * 3)
    expect(page.labels.ttft).toEqual([
      'small-random · decode [c=1]',
      'small-random · decode [c=2]',
      'small-random · decode [c=4]',
      'small-random · prefill 2k tokens',
    ])
    expect(page.scales.ttft).toBe('logarithmic') // 20 ms … 2 s
    expect(page.scales.e2e).toBe('linear') // E2E is dominated by decoding here: < 20× spread
    expect(page.toggled).toBe('linear') // clicking "log scale" switches it back
  })

  it('draws every probe of a capacity search (passed green, failed red) with the rate it found, titled with the case', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fuze-html-'))
    const results = join(root, 'results')
    const dir = makeRun(results, 'capacity', [{ stack: 'sim', model: 'sim-model', name: 'capacity search', tokps: 100, ttftMs: 50 }])
    // the search as run-capacity.ts writes it: bracketing 2, 4, 8, 16 req/s, then bisecting between 8 and 16
    const probe = (index: number, rate: number, e2e: number, reasons: string[]) => ({
      index,
      rate,
      achievedRate: rate * 0.99,
      requests: Math.round(rate * 10),
      ok: Math.round(rate * 10),
      goodFraction: reasons.length ? 0.5 : 1,
      requestThroughput: rate * 0.99,
      outputTokPerSec: rate * 32,
      ttftP50Ms: 50,
      e2eP50Ms: e2e,
      e2eP95Ms: e2e * 1.3,
      e2eFirstThirdP50Ms: e2e,
      e2eLastThirdP50Ms: e2e,
      inFlightMean: (rate * e2e) / 1000,
      littleRatio: 1,
      pass: reasons.length === 0,
      reasons,
      durationS: 10,
    })
    const slow = ['goodput 50.0% of requests met the SLO (need 95%)']
    const probes = [
      probe(0, 2, 360, []),
      probe(1, 4, 370, []),
      probe(2, 8, 420, []),
      probe(3, 16, 4000, slow),
      probe(4, 11.31, 1900, slow),
      probe(5, 9.51, 600, []),
      probe(6, 10.37, 900, []),
      probe(7, 10.83, 1700, slow),
    ]
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))
    summary.cases[0].summary.capacity = {
      maxRequestRate: 10.37,
      failedAt: 10.83,
      outputTokPerSec: 331.8,
      inFlight: 9.3,
      e2eP50Ms: 900,
      resolutionPct: 5,
      slo: { e2eMs: 1500 },
      minGoodFraction: 0.95,
      probeS: 10,
      budgetS: 180,
      durationS: 96,
      stoppedBy: 'resolution',
      probes,
    }
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary))
    await finalizeRun({ runDir: dir, resultsDir: results, print: () => {} })
    const page = await openReport(join(dir, 'report.html'), join(dir, 'report.png'))
    expect(page.consoleErrors).toEqual([])
    expect(page.titles).toContain('Capacity search: sim-model · capacity search')
    expect(page.labels['capacity-0']).toEqual([
      'sim-model · capacity search · E2E p50',
      'sim-model · capacity search · E2E p95',
      'sim-model · capacity search · probes that passed',
      'sim-model · capacity search · probes that failed',
      'sim-model · capacity search · maxRequestRate 10.37/s',
      'SLO: E2E ≤ 1500 ms',
    ])
    // p50 and p95 through all 8 probes, 5 passed + 3 failed markers, two 2-point guide lines
    expect(page.charts['capacity-0']).toBe(8 + 8 + 5 + 3 + 2 + 2)
    const found = page.notes.find((n) => n.startsWith('maxRequestRate'))
    expect(found).toBe(
      'maxRequestRate 10.37 req/s (331.8 output tok/s); lowest failing rate 10.83/s; stopped by resolution after 96 s. Probes in search order: ' +
        '2.00/s pass · 4.00/s pass · 8.00/s pass · 16.00/s fail (goodput 50.0% of requests met the SLO (need 95%)) · ' +
        '11.31/s fail (goodput 50.0% of requests met the SLO (need 95%)) · 9.51/s pass · 10.37/s pass · ' +
        '10.83/s fail (goodput 50.0% of requests met the SLO (need 95%))',
    )
  })

  it('says an n/a reason every case shares once under the energy table, and a reason of one case with its label', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fuze-html-'))
    const results = join(root, 'results')
    const dir = makeRun(results, 'energy', [
      { stack: 'sim', model: 'sim-model', name: 'decode [c=1]', tokps: 100 },
      { stack: 'sim', model: 'sim-model', name: 'decode [c=2]', tokps: 90 },
      { stack: 'sim', model: 'sim-model', name: 'decode [c=4]', tokps: 80 },
    ])
    const noEnergy = 'energy: n/a (no GPU, and no readable RAPL package counter under /sys/class/powercap)'
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))
    summary.cases.forEach((c: { summary: Record<string, unknown> }, i: number) => {
      c.summary.sections = {
        telemetry: {
          t0EpochMs: 0,
          window: { startMs: 0, endMs: 1000 },
          intervalMs: 500,
          server: { none: 'the sim exposes no metrics here' },
          powerSource: null,
          meanW: null,
          peakW: null,
          energyJ: null,
          jPerOutputToken: null,
          gpuUtilMeanPct: null,
          gpuMemPeakMib: null,
          cpuSeconds: i === 2 ? null : 1.5,
          costPerHour: null,
          usdPer1MOutputTokens: null,
          notes: i === 2 ? [noEnergy, 'CPU time: /proc/123/stat was not readable'] : [noEnergy],
        },
      }
    })
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary))
    await finalizeRun({ runDir: dir, resultsDir: results, print: () => {} })
    const page = await openReport(join(dir, 'report.html'), join(dir, 'report.png'))
    expect(page.consoleErrors).toEqual([])
    expect(page.titles).toContain('Energy, power and cost')
    expect(page.notes).toContain(`all cases: ${noEnergy} · sim-model · decode [c=4]: CPU time: /proc/123/stat was not readable`)
  })

  it('says INCONCLUSIVE, in amber, when the baseline cannot tell (a run against its own 1-run baseline)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fuze-html-'))
    const results = join(root, 'results')
    const dir = makeRun(results, 'r1', [{ stack: 'llama.cpp', model: 'm', tokps: 10 }])
    writeBaseline(join(root, 'own.json'), baselineFromRun(loadRun(dir), 'own'))
    await finalizeRun({ runDir: dir, resultsDir: results, baseline: join(root, 'own.json'), print: () => {} })
    const page = await openReport(join(dir, 'report.html'), join(root, 'r.png'))
    expect(page.consoleErrors).toEqual([])
    expect(page.verdict).toBe('Gate: INCONCLUSIVE')
  })
})
