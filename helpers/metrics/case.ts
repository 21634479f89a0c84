// RequestRecords of one bench case → CaseSummary. Only measured ('run') requests with outcome 'ok' enter latency statistics.
import { failure, type Failure } from '../failure.ts'
import type { CaseSummary, Outcome, RequestRecord, SloSpec } from '../types.ts'
import { dist, median } from './dist.ts'
import { hasSlo } from './load.ts'
import { goodputOf, summarizeLoad, type LoadInput } from './load-summary.ts'

export interface CaseIdentity {
  caseName: string
  fullName: string
  file: string
  stack: string
  model: string
}

function nums(records: RequestRecord[], pick: (r: RequestRecord) => number | null): number[] {
  const out: number[] = []
  for (const r of records) {
    const v = pick(r)
    if (v !== null && Number.isFinite(v)) out.push(v)
  }
  return out
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

  const serverRates = nums(ok, (r) => r.decodeTokPerSecServer)
  const clientRates = nums(ok, (r) => r.decodeTokPerSecClient)
  // the server's own rate is authoritative only when every ok request reported it
  const useServer = ok.length > 0 && serverRates.length === ok.length
  const tokensPerSec = useServer ? median(serverRates) : median(clientRates)

  const itl: number[] = []
  for (const r of ok) for (const v of r.itlMs) itl.push(v)

  let wallMs = 0
  let outTotal = 0
  if (measured.length > 0) {
    const start = Math.min(...measured.map((r) => r.tStartMs))
    const end = Math.max(...measured.map((r) => r.tStartMs + (r.e2eMs ?? 0)))
    wallMs = end - start
  }
  for (const r of ok) outTotal += r.outputTokens

  const failures: Failure[] = []
  const warnings: string[] = []
  if (measured.length === 0) {
    failures.push(failure('zero_samples', 'no measured requests (0 samples): the bench function never completed a request; check the log above for the error'))
  } else if (ok.length === 0) {
    const firstErr = measured.find((r) => r.error)?.error ?? 'no error text'
    failures.push(failure('all_failed', `all ${measured.length} measured requests failed (${describeOutcomes(byOutcome)}); first error: ${firstErr}`))
  } else if (ok.length < measured.length) {
    warnings.push(`${measured.length - ok.length} of ${measured.length} requests failed (${describeOutcomes(byOutcome)})`)
  }
  const mismatches = ok.filter((r) => r.tokenCountMismatch).length
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
    ttftMs: dist(nums(ok, (r) => r.ttftMs)),
    ttfotMs: dist(nums(ok, (r) => r.ttfotMs)),
    itlMs: dist(itl),
    tpotMs: dist(nums(ok, (r) => r.tpotMs)),
    e2eMs: dist(nums(ok, (r) => r.e2eMs)),
    queueMs: dist(nums(measured, (r) => r.queueMs)),
    decodeTokPerSecClient: dist(clientRates),
    decodeTokPerSecServer: dist(serverRates),
    tokensPerSec: tokensPerSec ?? 0,
    tokensPerSecSource: tokensPerSec === null ? 'none' : useServer ? 'server' : 'client',
    outputTokensServerTotal: ok.reduce((a, r) => a + (r.outputTokensServer ?? 0), 0),
    outputTokensClientTotal: ok.reduce((a, r) => a + r.outputTokensClient, 0),
    tokenCountMismatches: mismatches,
    wallMs,
    requestThroughput: wallMs > 0 ? (ok.length * 1000) / wallMs : 0,
    outputTokenThroughput: wallMs > 0 ? (outTotal * 1000) / wallMs : 0,
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
