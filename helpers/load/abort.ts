// Early abort of a load phase whose requests mostly fail: the rest would only measure the same failure.
import type { AbortCheck } from './scheduler.ts'

export const DEFAULT_ABORT_ERROR_RATE = 0.5
export const DEFAULT_ABORT_MIN_REQUESTS = 10

/** Stops a trial once too many of its finished requests failed; requests we cancelled ourselves do not count. */
export function errorRateAbort(limit: number, minRequests: number): AbortCheck {
  // counts, not the records: one check per trial, fed each finished request in turn
  let finished = 0
  let failed = 0
  let firstError: string | undefined
  const kinds = new Set<string>()
  return (r) => {
    finished++
    if (r.outcome !== 'ok' && r.outcome !== 'aborted') {
      if (failed++ === 0) firstError = r.error
      kinds.add(r.outcome)
    }
    if (limit >= 1 || finished < minRequests) return undefined
    const rate = failed / finished
    if (rate <= limit) return undefined
    return `aborted: error rate ${(rate * 100).toFixed(0)}% (${failed} of ${finished} finished requests failed: ${[...kinds].join(', ')}; first error: ${firstError ?? 'none'}) passed the limit ${(limit * 100).toFixed(0)}% (abortErrorRate option); the remaining requests were cancelled`
  }
}
