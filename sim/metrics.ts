// Prometheus text for GET /metrics, named and labelled like vLLM's (V1 engine: `engine="0",model_name=...` on every
// series, as vLLM 0.32 serves them) so metric scrapers can be tested against it.
import type { Admission } from './admission.ts'
import type { SimTruth } from './types.ts'

const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
const E2E_BUCKETS = [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60]

class Histogram {
  counts: number[]
  sum = 0
  n = 0
  constructor(readonly buckets: number[]) {
    this.counts = buckets.map(() => 0)
  }
  observe(v: number): void {
    this.sum += v
    this.n++
    this.buckets.forEach((b, i) => {
      if (v <= b) this.counts[i]++
    })
  }
  lines(name: string, labels: string): string[] {
    return [
      ...this.buckets.map((b, i) => `${name}_bucket{${labels},le="${b}"} ${this.counts[i]}`),
      `${name}_bucket{${labels},le="+Inf"} ${this.n}`,
      `${name}_sum{${labels}} ${this.sum}`,
      `${name}_count{${labels}} ${this.n}`,
    ]
  }
}

export class SimMetrics {
  private ttft = new Histogram(TTFT_BUCKETS)
  private e2e = new Histogram(E2E_BUCKETS)
  private promptTokens = 0
  private generationTokens = 0
  private success = 0
  private failed = 0

  observe(t: SimTruth): void {
    if (t.outcome !== 'ok' || t.clientClosed) {
      this.failed++
      return
    }
    this.success++
    this.promptTokens += t.promptTokens
    this.generationTokens += t.outputTokens
    if (t.chunkTimes.length > 0) this.ttft.observe((t.chunkTimes[0] - t.tReceived) / 1000)
    if (t.tEnd !== undefined) this.e2e.observe((t.tEnd - t.tReceived) / 1000)
  }

  /** `kvUsage`: the KV cache's share in use (0-1); the simulator has no cache, so callers give the share of sequence slots taken. */
  render(model: string, admission: Admission, kvUsage = 0): string {
    const l = `engine="0",model_name="${model}"`
    const out = [
      '# HELP vllm:num_requests_running Number of requests in model execution batches.',
      '# TYPE vllm:num_requests_running gauge',
      `vllm:num_requests_running{${l}} ${admission.active}`,
      '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
      '# TYPE vllm:num_requests_waiting gauge',
      `vllm:num_requests_waiting{${l}} ${admission.queued}`,
      '# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.',
      '# TYPE vllm:kv_cache_usage_perc gauge',
      `vllm:kv_cache_usage_perc{${l}} ${kvUsage}`,
      '# HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of queried tokens.',
      '# TYPE vllm:prefix_cache_queries_total counter',
      `vllm:prefix_cache_queries_total{${l}} ${this.promptTokens}`,
      '# HELP vllm:prefix_cache_hits_total Prefix cache hits, in terms of number of cached tokens.',
      '# TYPE vllm:prefix_cache_hits_total counter',
      `vllm:prefix_cache_hits_total{${l}} 0`,
      '# HELP vllm:prompt_tokens_total Number of prefill tokens processed.',
      '# TYPE vllm:prompt_tokens_total counter',
      `vllm:prompt_tokens_total{${l}} ${this.promptTokens}`,
      '# HELP vllm:generation_tokens_total Number of generation tokens processed.',
      '# TYPE vllm:generation_tokens_total counter',
      `vllm:generation_tokens_total{${l}} ${this.generationTokens}`,
      '# HELP vllm:request_success_total Count of successfully processed requests.',
      '# TYPE vllm:request_success_total counter',
      `vllm:request_success_total{${l},finished_reason="length"} ${this.success}`,
      '# HELP fuze_sim:request_failed_total Requests that ended in a simulated fault, a reject or a client abort.',
      '# TYPE fuze_sim:request_failed_total counter',
      `fuze_sim:request_failed_total{${l}} ${this.failed}`,
      '# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.',
      '# TYPE vllm:time_to_first_token_seconds histogram',
      ...this.ttft.lines('vllm:time_to_first_token_seconds', l),
      '# HELP vllm:e2e_request_latency_seconds Histogram of end to end request latency in seconds.',
      '# TYPE vllm:e2e_request_latency_seconds histogram',
      ...this.e2e.lines('vllm:e2e_request_latency_seconds', l),
    ]
    return `${out.join('\n')}\n`
  }
}
