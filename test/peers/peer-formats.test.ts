// The peer tools' result files, as the real tools wrote them on this machine (cut to a few requests, test/fixtures/peers),
// read into fuze-bench's records and case summary.
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { peerCase, readPeerResult } from '../../reporters/peer-formats/index.ts'
import { readFileSync } from 'node:fs'
import { parseAiperf } from '../../reporters/peer-formats/aiperf.ts'
import { parseInferencePerf } from '../../reporters/peer-formats/inference-perf.ts'
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

  it('without computed_metrics, TTFT and gaps come from output_token_times alone, the same numbers', () => {
    const raw = JSON.parse(readFileSync(fixture('inference-perf/per_request_lifecycle_metrics.json'), 'utf8')) as { computed_metrics?: unknown }[]
    for (const e of raw) delete e.computed_metrics
    const bare = parseInferencePerf(raw, 'inline.json')
    for (const [i, q] of bare.requests.entries()) {
      expect(q.ttftMs).toBeCloseTo(r.requests[i]!.ttftMs!, 3)
      expect(q.e2eMs).toBeCloseTo(r.requests[i]!.e2eMs!, 3)
      expect(q.itlMs).toHaveLength(63)
      expect(q.itlMs![5]).toBeCloseTo(r.requests[i]!.itlMs![5]!, 3)
    }
    expect(bare.missing.join(' ')).toMatch(/summary_lifecycle_metrics.json was not beside/)
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

describe('AIPerf profile_export.jsonl', () => {
  const r = readPeerResult(fixture('aiperf/profile_export.jsonl'))

  it('reads each record: wall-clock send time, TTFT, E2E, the gap before each SSE event', () => {
    expect(r.tool).toBe('aiperf')
    expect(r.version).toBe('0.13.0')
    expect(r.requests).toHaveLength(3)
    const q = r.requests[0]!
    expect(q.ok).toBe(true)
    expect(q.startMs).toBeCloseTo(1796593196738.56, 1)
    expect(q.ttftMs).toBeCloseTo(199.535, 2)
    expect(q.e2eMs).toBeCloseTo(797.593, 2)
    expect(q.itlMs).toHaveLength(63)
    expect(q.outputTokens).toBe(64)
    // AIPerf's own tokenizer count of the prompt, not the server's (usage_prompt_tokens 21)
    expect(q.promptTokens).toBe(32)
  })

  it('takes output tok/s from profile_export_aiperf.json beside it', () => {
    expect(r.reported.outputTokPerSec).toBeCloseTo(1227.41, 1)
    expect(r.reported.durationS).toBeCloseTo(2.4898, 3)
  })

  it('names the line that is not an AIPerf record', () => {
    expect(() => parseAiperf('{"metadata":{},"metrics":{}}\n{"x":1}\n', 'bad.jsonl')).toThrow(/line 2/)
  })
})

describe('GuideLLM benchmarks.json', () => {
  const r = readPeerResult(fixture('guidellm/benchmarks.json'))

  it("reads each request's send time, TTFT and E2E; no per-token ITL, and says so", () => {
    expect(r.tool).toBe('guidellm')
    expect(r.version).toBe('0.8.1')
    expect(r.reported.model).toBe('sim-model')
    expect(r.reported.concurrency).toBe(16)
    expect(r.requests).toHaveLength(3)
    const q = r.requests[0]!
    expect(q.ok).toBe(true)
    expect(q.startMs).toBeCloseTo(1796593396200.749, 0)
    expect(q.ttftMs).toBeCloseTo(93.6, 1)
    expect(q.e2eMs).toBeCloseTo(725.44, 1)
    expect(q.itlMs).toBeNull()
    expect(q.outputTokens).toBe(64)
    expect(r.missing.join(' ')).toMatch(/no per-token ITL/)
  })

  it("takes output tok/s from the benchmark's own metrics", () => {
    expect(r.reported.outputTokPerSec).toBeCloseTo(1135.68, 1)
    expect(r.reported.durationS).toBeCloseTo(2.705, 2)
  })

  it('as a fuze-bench case: TPOT from first and last token, no ITL samples', () => {
    const c = peerCase(r)
    expect(c.summary.ttftMs.n).toBe(3)
    expect(c.summary.itlMs.n).toBe(0)
    expect(c.summary.tpotMs.p50).toBeGreaterThan(9)
  })
})

describe('readPeerResult', () => {
  it('names what it can read when a file is none of the four formats', () => {
    expect(() => readPeerResult(fixture('../peers/aiperf/profile_export_aiperf.json'))).toThrow(/not a result file fuze-bench can read/)
  })

  it('finds the result file in a tool output folder', () => {
    expect(readPeerResult(fixture('inference-perf')).tool).toBe('inference-perf')
    expect(readPeerResult(fixture('aiperf')).tool).toBe('aiperf')
  })
})
