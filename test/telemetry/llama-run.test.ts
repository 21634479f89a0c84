// llama-server's own metrics, scraped for real during a `vitest bench --project llama.cpp` run (the generated tiny
// model, CPU): kept per case in the run folder under their llamacpp:* names, reconciled with the responses' token
// counts, charted in report.html; energy is n/a on this CPU host (no RAPL), never 0, and the server's CPU time is read.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { telemetryOf } from '../../helpers/telemetry/types.ts'
import type { RunSummaryJson } from '../../reporters/run-data.ts'
import { CHROMIUM, NO_CHROMIUM, openReport } from '../reporters/browser.ts'
import { onlyRunDir, startBench } from '../support/run-bench.ts'
import { expectFlowPassed, ports } from '../stacks/support.ts'

describe('telemetry of a real llama.cpp run', () => {
  it('keeps llamacpp:tokens_predicted_total (≥ 2 samples per case), reconciles it and charts it', async () => {
    const run = startBench(['--project', 'llama.cpp', 'tiny-random'], {
      ...(await ports()),
      BENCH_ALLOW_CLIENT_BOUND: '1',
      BENCH_WARMUP: '1',
      BENCH_REQUESTS: '3',
      BENCH_NUM_PREDICT: '16',
      BENCH_METRICS_INTERVAL_MS: '100',
      BENCH_COST_PER_HOUR: '0.9',
      CUDA_VISIBLE_DEVICES: '', // the CPU path, whatever GPUs the machine has
    })
    const r = await run.child
    expectFlowPassed(r)
    const dir = onlyRunDir(run.resultsDir)
    const sum = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummaryJson
    expect(sum.cases.map((c) => c.summary.caseName).sort()).toEqual(['decode short prompt', 'prefill long prompt'])
    for (const c of sum.cases) {
      // a server computing on this CPU keeps its cores: the client's loop sleeps between chunks (BENCH_BUSY_POLL auto)
      expect(c.summary.sections?.busyPoll, c.fullName).toBeUndefined()
      const t = telemetryOf(c.summary)!
      if (!('url' in t.server)) throw new Error(`${c.fullName}: no server metrics: ${t.server.none}`)
      expect(t.server.samples, c.fullName).toBeGreaterThanOrEqual(2)
      const scrapes = readFileSync(join(dir, t.server.file), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { values: Record<string, number> })
      expect(scrapes).toHaveLength(t.server.samples)
      for (const s of scrapes) expect(Object.keys(s.values)).toContain('llamacpp:tokens_predicted_total')
      // 3 measured requests × 16 tokens each
      expect(t.reconciliation).toEqual({ counter: 'llamacpp:tokens_predicted_total', serverDelta: 48, clientSeen: 48, match: true })
      expect(t.cpuSeconds, c.fullName).toBeGreaterThan(0)
      expect(t.cpuSeconds!).toBeLessThan((c.summary.wallMs / 1000) * 64)
      expect([t.powerSource, t.energyJ, t.jPerOutputToken]).toEqual([null, null, null])
      expect(t.notes.join(' ')).toContain('energy: n/a')
      expect(c.summary.usdPer1MOutputTokens).toBeCloseTo(((0.9 * c.summary.wallMs) / 3_600_000 / 48) * 1e6, 6)
    }
    const [head, ...rows] = readFileSync(join(dir, 'summary.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(','))
    for (const row of rows) expect(row[head.indexOf('j_per_output_token')]).toBe('n/a')
    expect(CHROMIUM, NO_CHROMIUM).not.toBe('')
    const page = await openReport(join(dir, 'report.html'), join(dir, 'report.png'))
    expect(page.consoleErrors).toEqual([])
    expect(page.charts['server-metrics']).toBeGreaterThan(0)
  })
})
