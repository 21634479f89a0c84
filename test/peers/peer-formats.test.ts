// The peer tools' result files, as the real tools wrote them on this machine (cut to a few requests, test/fixtures/peers),
// read into fuze-bench's records and case summary.
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { peerCase, readPeerResult } from '../../reporters/peer-formats/index.ts'
import { parseVllmBench } from '../../reporters/peer-formats/vllm-bench.ts'

const parseVllm = (json: unknown) => parseVllmBench(json, 'inline.json')

const fixture = (p: string) => fileURLToPath(new URL(`../fixtures/peers/${p}`, import.meta.url))

describe('inference-perf per_request_lifecycle_metrics.json', () => {
  const r = readPeerResult(fixture('inference-perf/per_request_lifecycle_metrics.json'))

  it('reads every request with TTFT, E2E and one gap per output token, in ms', () => {
    expect(r.tool).toBe('inference-perf')
    expect(r.requests).toHaveLength(3)
    for (const q of r.requests) {
      expect(q.ok).toBe(true)
      expect(q.outputTokens).toBe(64)
      expect(q.itlMs).toHaveLength(63)
      // the simulator behind it: TTFT 50 ms and 10 ms per token at least; a 64-token request takes ≥ 680 ms
      expect(q.ttftMs!).toBeGreaterThan(45)
      expect(q.e2eMs!).toBeGreaterThan(q.ttftMs! + 600)
      // the gaps add up to the time from the first token to the last
      const sum = q.itlMs!.reduce((a, b) => a + b, 0)
      expect(Math.abs(q.ttftMs! + sum - q.e2eMs!)).toBeLessThan(5)
    }
  })

  it('takes the run throughput from summary_lifecycle_metrics.json beside it and says the clock is monotonic', () => {
    expect(r.reported.outputTokPerSec).toBeCloseTo(919.849, 2)
    expect(r.missing.join(' ')).toMatch(/monotonic/)
    expect(r.requests[0]!.startMs).toBeNull()
  })

  it('becomes a fuze-bench case whose percentiles come from the same requests', () => {
    const c = peerCase(r)
    expect(c.records).toHaveLength(3)
    expect(c.summary.counts.ok).toBe(3)
    expect(c.summary.ttftMs.n).toBe(3)
    expect(c.summary.itlMs.n).toBe(3 * 63)
    expect(c.summary.outputTokenThroughput).toBeCloseTo(919.849, 2)
    expect(c.summary.warnings.join(' ')).toMatch(/inference-perf: .*monotonic/)
  })
})

describe('vllm bench serve --save-result --save-detailed JSON', () => {
  const r = readPeerResult(fixture('vllm-bench/vllm-bench.json'))

  it('reads the per-request arrays (s → ms) and the run summary', () => {
    expect(r.tool).toBe('vllm-bench')
    expect(r.reported.model).toBe('sim-model')
    expect(r.reported.concurrency).toBe(16)
    expect(r.reported.outputTokPerSec).toBeCloseTo(1052.807, 2)
    expect(r.requests).toHaveLength(3)
    const q = r.requests[0]!
    expect(q.ok).toBe(true)
    expect(q.ttftMs).toBeCloseTo(131.88, 1)
    expect(q.e2eMs).toBeCloseTo(782.51, 1)
    expect(q.itlMs).toHaveLength(63)
    expect(q.outputTokens).toBe(64)
  })

  it('says what the format lacks: wall-clock send times, per-token (not per-chunk) gaps', () => {
    expect(r.requests[0]!.startMs).toBeNull()
    expect(r.missing.join(' ')).toMatch(/perf_counter/)
    expect(r.missing.join(' ')).toMatch(/chunk/)
  })

  it('a result saved without --save-detailed has no requests and says so', () => {
    const summaryOnly = { num_prompts: 10, output_throughput: 5, mean_ttft_ms: 1, duration: 2 }
    const p = parseVllm(summaryOnly)
    expect(p.requests).toHaveLength(0)
    expect(p.missing.join(' ')).toMatch(/--save-detailed/)
  })
})
