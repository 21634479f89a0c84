// RequestRecords of one bench case → CaseSummary. Only measured ('run') requests with outcome 'ok' enter latency
// statistics. The work is CaseAccumulator's (accumulator.ts), which the case runner feeds one record at a time;
// this is the same accumulator fed from an array (tests, tools that hold records).
import type { CaseSummary, RequestRecord, SloSpec } from '../types.ts'
import { CaseAccumulator, type CaseIdentity } from './accumulator.ts'
import type { LoadAcc } from './load-summary.ts'

export type { CaseIdentity } from './accumulator.ts'

export interface SummarizeOptions {
  incomplete?: boolean
  /** Load cases: what the scheduler saw (windows, due times, trials); fills `summary.load`. */
  load?: LoadAcc
  /** Goodput objectives; fills `summary.goodput` when any is set. */
  slo?: SloSpec
}

export function summarizeCase(id: CaseIdentity, all: readonly RequestRecord[], opts: SummarizeOptions = {}): CaseSummary {
  const acc = new CaseAccumulator(opts.slo ?? {})
  for (const r of all) acc.add(r)
  return acc.summary(id, { ...(opts.incomplete !== undefined ? { incomplete: opts.incomplete } : {}), ...(opts.load ? { load: opts.load } : {}) })
}
