// Server metrics of one case: GET <metrics url> every BENCH_METRICS_INTERVAL_MS while the case runs. Each scrape is
// appended to the case's server-metrics.jsonl (every series under its original name); in memory only the series
// the report charts and the generated-token counter are kept, so a long case stays small.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Reading } from './energy.ts'
import { parsePromText, seriesKey } from './prom-text.ts'

export interface ServerSamplerResult {
  /** Scrapes that answered. */
  samples: number
  /** Per metric name the sampler was asked to keep: its value (summed over label sets) at each scrape. */
  kept: Record<string, Reading[]>
  /** Why scrapes failed (first failure, and how many). */
  problem?: string
}

export class PromSampler {
  private timer: NodeJS.Timeout | undefined
  private inFlight: Promise<void> | undefined
  private stopped = false
  private samples = 0
  private failures = 0
  private firstFailure: string | undefined
  private readonly kept: Record<string, Reading[]>

  constructor(
    private readonly url: string,
    private readonly intervalMs: number,
    private readonly jsonlPath: string,
    keep: readonly string[],
  ) {
    this.kept = Object.fromEntries(keep.map((n) => [n, []]))
  }

  /** First scrape before the case sends anything (the counters' baseline), then one per interval. */
  async start(): Promise<void> {
    mkdirSync(dirname(this.jsonlPath), { recursive: true })
    writeFileSync(this.jsonlPath, '')
    await this.scrape()
    this.schedule()
  }

  private schedule(): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      this.inFlight = this.scrape().finally(() => {
        this.inFlight = undefined
        this.schedule()
      })
    }, this.intervalMs)
    this.timer.unref()
  }

  private async scrape(): Promise<void> {
    const t = performance.now()
    let text: string
    try {
      const res = await fetch(this.url, { signal: AbortSignal.timeout(Math.max(1000, this.intervalMs * 4)) })
      text = await res.text()
      if (!res.ok) throw new Error(`HTTP ${res.status}${text ? ` (${text.slice(0, 100).trim()})` : ''}`)
    } catch (e) {
      this.failures++
      this.firstFailure ??= (e as Error).message
      return
    }
    const values: Record<string, number> = {}
    const sums: Record<string, number> = {}
    for (const s of parsePromText(text)) {
      values[seriesKey(s)] = s.value
      if (s.name in this.kept) sums[s.name] = (sums[s.name] ?? 0) + s.value
    }
    if (Object.keys(values).length === 0) {
      this.failures++
      this.firstFailure ??= `the answer had no Prometheus samples (starts: '${text.slice(0, 80).trim()}')`
      return
    }
    this.samples++
    for (const [name, rs] of Object.entries(this.kept)) rs.push({ t, v: sums[name] ?? null })
    try {
      appendFileSync(this.jsonlPath, `${JSON.stringify({ epochMs: Number((performance.timeOrigin + t).toFixed(1)), values })}\n`)
    } catch {
      // the kept series stay in memory; an unwritable run folder is reported by the reporter
    }
  }

  /** Stop sampling and take a last scrape, so the counters include every request of the case. */
  async stop(): Promise<ServerSamplerResult> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.inFlight
    await this.scrape()
    const problem =
      this.failures > 0 ? `${this.failures} of ${this.failures + this.samples} scrapes of ${this.url} failed (first: ${this.firstFailure})` : undefined
    return { samples: this.samples, kept: this.kept, ...(problem ? { problem } : {}) }
  }
}
