// Early abort of a load phase whose requests mostly fail: the rest would only measure the same failure.
import type { AbortCheck } from './scheduler.ts'

export const DEFAULT_ABORT_ERROR_RATE = 0.5
export const DEFAULT_ABORT_MIN_REQUESTS = 10

/** Stops a trial once too many of its finished requests failed; requests we cancelled ourselves do not count. */
export function errorRateAbort(limit: number, minRequests: number): AbortCheck {
  return (finished) => {
    if (limit >= 1 || finished.length < minRequests) return undefined
    const failed = finished.filter((r) => r.outcome !== 'ok' && r.outcome !== 'aborted')
    const rate = failed.length / finished.length
    if (rate <= limit) return undefined
    const kinds = [...new Set(failed.map((r) => r.outcome))].join(', ')
    return `aborted: error rate ${(rate * 100).toFixed(0)}% (${failed.length} of ${finished.length} finished requests failed: ${kinds}; first error: ${failed[0]?.error ?? 'none'}) passed the limit ${(limit * 100).toFixed(0)}% (abortErrorRate option); the remaining requests were cancelled`
  }
}
