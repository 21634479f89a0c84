// RequestRecords of one bench case → CaseSummary. Only measured ('run') requests with outcome 'ok' enter latency statistics.
import type { CaseSummary, Outcome, RequestRecord, SloSpec } from '../types.ts'
import { dist } from './dist.ts'
import { hasSlo } from './load.ts'
import { goodputOf, summarizeLoad, type LoadInput } from './load-summary.ts'
import { DIST_METRICS, feeds, metricValues, SCALAR_METRICS, valuesOf } from './registry.ts'

export interface CaseIdentity {
  caseName: string
  fullName: string
  file: string
  stack: string
  model: string
}

function describeOutcomes(byOutcome: Partial<Record<Outcome, number>>): string {
  return Object.entries(byOutcome)
    .filter(([k]) => k !== 'ok')
    .map(([k, v]) => `${k}×${v}`)
    .join(', ')
}

export interface SummarizeOptions {
  incomplete?: boolean
  /** Load cases: what the scheduler saw (windows, due times, client health); fills `summary.load`. */
  load?: LoadInput
  /** Goodput objectives; fills `summary.goodput` when any is set. */
  slo?: SloSpec
}

export function summarizeCase(id: CaseIdentity, all: RequestRecord[], opts: SummarizeOptions = {}): CaseSummary {
  const measured = all.filter((r) => r.phase === 'run')
  const ok = measured.filter((r) => r.outcome === 'ok')
  const byOutcome: Partial<Record<Outcome, number>> = {}
  for (const r of measured) byOutcome[r.outcome] = (byOutcome[r.outcome] ?? 0) + 1

  // every metric from its registry descriptor: dists over the requests each one takes, scalars from the totals
  const dists = Object.fromEntries(DIST_METRICS.map((m) => [m.json, dist(measured.filter((r) => feeds(m, r)).flatMap((r) => valuesOf(m, r)))]))
  const sums = Object.fromEntries(SCALAR_METRICS.map((m) => [m.json, m.sum ? ok.reduce((a, r) => a + m.sum!(r), 0) : 0]))
  let wallMs = 0
  if (measured.length > 0) {
    const start = Math.min(...measured.map((r) => r.tStartMs))
    const end = Math.max(...measured.map((r) => r.tStartMs + (r.e2eMs ?? 0)))
    wallMs = end - start
  }
  const values = metricValues(dists, { requests: measured.length, ok: ok.length, wallMs, sums })

  const failures: string[] = []
  const warnings: string[] = []
  if (measured.length === 0) {
    failures.push(`no measured requests (0 samples): the bench function never completed a request; check the log above for the error`)
  } else if (ok.length === 0) {
    const firstErr = measured.find((r) => r.error)?.error ?? 'no error text'
    failures.push(`all ${measured.length} measured requests failed (${describeOutcomes(byOutcome)}); first error: ${firstErr}`)
  } else if (ok.length < measured.length) {
    warnings.push(`${measured.length - ok.length} of ${measured.length} requests failed (${describeOutcomes(byOutcome)})`)
  }
  const mismatches = values.tokenCountMismatches
  if (mismatches > 0) {
    const r = ok.find((x) => x.tokenCountMismatch)!
    warnings.push(
      `${mismatches} request(s) where the server's output token count differs from the client's (e.g. server ${r.outputTokensServer}, client ${r.outputTokensClient}); the server's count is used`,
    )
  }
  if (opts.incomplete) warnings.push('incomplete: the run was interrupted before this case finished')

  const summary: CaseSummary = {
    ...id,
    counts: {
      requests: measured.length,
      warmup: all.length - measured.length,
      ok: ok.length,
      failed: measured.length - ok.length,
      byOutcome,
    },
    ...values,
    failures,
    warnings,
    incomplete: opts.incomplete ?? false,
  }
  const slo = opts.slo ?? {}
  if (opts.load) {
    const parts = summarizeLoad(opts.load, summary, slo)
    summary.load = parts.load
    if (parts.goodput) summary.goodput = parts.goodput
    summary.failures.push(...parts.failures)
    summary.warnings.push(...parts.warnings)
  } else if (hasSlo(slo)) {
    const g = goodputOf(measured, slo, 0)
    summary.goodput = { ...g, requestsPerSec: wallMs > 0 ? (g.good * 1000) / wallMs : 0 }
  }
  return summary
}
