// The case summary from a stream of records, in bounded memory: each finished request is folded in (counts,
// per-metric QuantileAcc — exact up to EXACT_LIMIT values, then a DDSketch —, registry sums, wall bounds, the
// first error and mismatch for the messages, goodput) and dropped. Memory does not depend on the request count.
// summarizeCase(records) is this accumulator fed from an array, so a short case summarises exactly as before
// and a long one within the sketch's stated relative error (sketch.ts).
import { failure, type Failure } from '../failure.ts'
import type { CaseSummary, Outcome, RequestRecord, SloSpec } from '../types.ts'
import { hasSlo, meetsSlo } from './load.ts'
import { summarizeLoad, type LoadAcc } from './load-summary.ts'
import { DIST_METRICS, feeds, metricValues, SCALAR_METRICS } from './registry.ts'
import { EXACT_LIMIT, QuantileAcc } from './sketch.ts'

export interface CaseIdentity {
  caseName: string
  fullName: string
  file: string
  stack: string
  model: string
}

export interface SummarizeOptions {
  incomplete?: boolean
  /** Load cases: what the scheduler saw (windows, due times, trials); fills `summary.load`. */
  load?: LoadAcc
}

function describeOutcomes(byOutcome: Partial<Record<Outcome, number>>, leave: Outcome[] = []): string {
  return Object.entries(byOutcome)
    .filter(([k]) => k !== 'ok' && !leave.includes(k as Outcome))
    .map(([k, v]) => `${k}×${v}`)
    .join(', ')
}

export class CaseAccumulator {
  all = 0
  measured = 0
  ok = 0
  good = 0
  readonly byOutcome: Partial<Record<Outcome, number>> = {}
  private readonly dists = new Map<string, QuantileAcc>()
  private readonly sums = new Map<string, number>()
  private start = Infinity
  private end = -Infinity
  private firstError: string | undefined
  private mismatch: { server: number | null; client: number } | undefined
  /** Ok requests whose client counted more output tokens than the server (tokenCountMismatches counts every difference). */
  private overcounts = 0

  /** `slo`: goodput objectives judged per request; `exactLimit`: values kept exactly per metric. */
  constructor(
    readonly slo: SloSpec = {},
    exactLimit = EXACT_LIMIT,
  ) {
    for (const m of DIST_METRICS) this.dists.set(m.json, new QuantileAcc(exactLimit))
    for (const m of SCALAR_METRICS) this.sums.set(m.json, 0)
  }

  add(r: RequestRecord): void {
    this.all++
    if (r.phase !== 'run') return
    this.measured++
    this.byOutcome[r.outcome] = (this.byOutcome[r.outcome] ?? 0) + 1
    const ok = r.outcome === 'ok'
    if (ok) this.ok++
    if (this.firstError === undefined && r.error) this.firstError = r.error
    if (r.tStartMs < this.start) this.start = r.tStartMs
    const end = r.tStartMs + (r.e2eMs ?? 0)
    if (end > this.end) this.end = end
    for (const m of DIST_METRICS) {
      if (!feeds(m, r)) continue
      const acc = this.dists.get(m.json)!
      const v = m.take(r)
      if (typeof v === 'number') acc.add(v)
      else if (v !== null) for (let i = 0; i < v.length; i++) acc.add(v[i])
    }
    if (!ok) return
    for (const m of SCALAR_METRICS) if (m.sum) this.sums.set(m.json, this.sums.get(m.json)! + m.sum(r))
    // the client counting more tokens than the server generated is a miscount; fewer is a chunk that carried several
    // tokens (llama-server holds a token that ends inside a multi-byte character and sends it with the next one),
    // which the server's count and the per-token ITL (request.ts) already account for
    if (r.tokenCountMismatch && r.outputTokensServer !== null && r.outputTokensClient > r.outputTokensServer) {
      this.overcounts++
      this.mismatch ??= { server: r.outputTokensServer, client: r.outputTokensClient }
    }
    if (meetsSlo(r, this.slo)) this.good++
  }

  /** First send → last end of the measured requests, ms since the phase origin; undefined before the first. */
  get window(): { startMs: number; endMs: number } | undefined {
    return this.measured > 0 ? { startMs: this.start, endMs: this.end } : undefined
  }

  /** Whether some measured request finished (an interrupted case with none writes no CSV row). */
  get anyMeasured(): boolean {
    return this.measured > 0
  }

  summary(id: CaseIdentity, opts: SummarizeOptions = {}): CaseSummary {
    const { measured, ok, byOutcome } = this
    const wallMs = measured > 0 ? this.end - this.start : 0
    const dists = Object.fromEntries(DIST_METRICS.map((m) => [m.json, this.dists.get(m.json)!.dist()]))
    const values = metricValues(dists, { requests: measured, ok, wallMs, sums: Object.fromEntries(this.sums) })

    const failures: Failure[] = []
    const warnings: string[] = []
    if (measured === 0) {
      failures.push(
        failure('zero_samples', 'no measured requests (0 samples): the bench function never completed a request; check the log above for the error'),
      )
    } else if (ok === 0) {
      failures.push(
        failure('all_failed', `all ${measured} measured requests failed (${describeOutcomes(byOutcome)}); first error: ${this.firstError ?? 'no error text'}`),
      )
    } else {
      // a load phase that stopped itself (past saturation, or past its error-rate limit) cancelled the requests then in
      // flight: the stop is said in summary.load, and they are no failure of the server (byOutcome keeps them)
      const stopped = opts.load?.trials.some((t) => t.saturation !== undefined || t.aborted !== undefined) ?? false
      const cancelled = stopped ? (byOutcome.aborted ?? 0) : 0
      if (ok < measured - cancelled)
        warnings.push(`${measured - cancelled - ok} of ${measured} requests failed (${describeOutcomes(byOutcome, cancelled > 0 ? ['aborted'] : [])})`)
    }
    if (this.overcounts > 0 && this.mismatch) {
      warnings.push(
        `${this.overcounts} request(s) where the client counted more output tokens than the server reported (e.g. server ${this.mismatch.server}, client ${this.mismatch.client}); the server's count is used`,
      )
    }
    if (opts.incomplete) warnings.push('incomplete: the run was interrupted before this case finished')

    const summary: CaseSummary = {
      ...id,
      counts: { requests: measured, warmup: this.all - measured, ok, failed: measured - ok, byOutcome: { ...byOutcome } },
      ...values,
      failures,
      warnings,
      incomplete: opts.incomplete ?? false,
    }
    if (opts.load) {
      const parts = summarizeLoad(opts.load, summary, this.slo)
      summary.load = parts.load
      if (parts.goodput) summary.goodput = parts.goodput
      summary.failures.push(...parts.failures)
      summary.warnings.push(...parts.warnings)
    } else if (hasSlo(this.slo)) {
      summary.goodput = {
        slo: this.slo,
        good: this.good,
        total: measured,
        fraction: measured > 0 ? this.good / measured : 0,
        requestsPerSec: wallMs > 0 ? (this.good * 1000) / wallMs : 0,
      }
    }
    return summary
  }
}
