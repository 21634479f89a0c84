// A capacity search as a user runs it (`vitest bench --project sim -t capacity`) against the simulator of known
// capacity (benches/sim/capacity.bench.ts: 4 sequences, 50 + 10·31 = 360 ms a request at 32 tokens → 11.1 req/s):
// the rate it finds, and the server's generation counter reconciled with the tokens of every probe it sent (the
// case's figures show one probe; the counter saw them all — this warned on every capacity run against real vLLM).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { freePort } from '../../fixtures/ports.ts'
import { telemetryOf } from '../../helpers/telemetry/types.ts'
import type { RunSummaryJson } from '../../reporters/run-data.ts'
import { onlyRunDir, startBench } from '../support/run-bench.ts'
import { expectFlowPassed } from '../stacks/support.ts'

describe('a capacity search on the simulator', () => {
  it('finds 11.1 req/s within 20 % and reconciles the server counter over all its probes, with no warning', async () => {
    const run = startBench(['--project', 'sim', 'benches/sim/capacity.bench.ts'], {
      BENCH_NUM_PREDICT: '32',
      BENCH_SLO_E2E_MS: '1500',
      BENCH_CAPACITY_PROBE_S: '4',
      BENCH_CAPACITY_BUDGET_S: '60',
      BENCH_METRICS_INTERVAL_MS: '200',
      BENCH_ALLOW_CLIENT_BOUND: '1',
      PORT_A: String(await freePort()),
    })
    const r = await run.child
    expectFlowPassed(r)
    const dir = onlyRunDir(run.resultsDir)
    const sum = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummaryJson
    const s = sum.cases[0]!.summary
    const cap = s.capacity!
    expect(cap.maxRequestRate, JSON.stringify(cap.probes)).not.toBeNull()
    expect(Math.abs(cap.maxRequestRate! - 4 / 0.36) / (4 / 0.36), JSON.stringify(cap.probes)).toBeLessThan(0.2)
    const t = telemetryOf(s)!
    const requests = readFileSync(join(dir, 'requests.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { phase: string; outcome: string; outputTokensServer: number | null })
      .filter((x) => x.phase === 'run' && x.outcome === 'ok')
    const sent = requests.reduce((n, x) => n + (x.outputTokensServer ?? 0), 0)
    // every probe's requests, far more than the one probe the figures show
    expect(cap.probes.length).toBeGreaterThan(2)
    expect(sent).toBeGreaterThan(s.outputTokensServerTotal)
    expect(t.reconciliation).toMatchObject({ serverDelta: sent, clientSeen: sent, match: true })
    expect(s.warnings.filter((w) => w.includes('server counter'))).toEqual([])
  }, 240_000)
})
