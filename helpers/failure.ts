// Why a case or a run fails, as data: consumers decide on `code` (BENCH_ALLOW_CLIENT_BOUND accepts
// 'client_bound', the gate counts 'regression'), people read `message`. A leaf module: producers
// (metrics, case runners, the gate) and consumers (reporters, outputs) all import it, it imports nothing.

export const FAILURE_CODES = [
  /** no measured request completed (or the bench function threw before measuring) */
  'zero_samples',
  /** every measured request failed */
  'all_failed',
  /** the client itself was too busy to timestamp on time (self-calibration) */
  'client_bound',
  /** failed requests above BENCH_GATE_ERROR_RATE_MAX_PCT, or a load case aborted on its error rate */
  'error_rate',
  /** a gated metric got worse past its threshold, with run-level evidence */
  'regression',
  /** the gate could not tell a change past a threshold from noise, and BENCH_GATE_INCONCLUSIVE=fail */
  'inconclusive',
  /** the run was interrupted; its numbers are partial */
  'interrupted',
  /** a sweep could not finish (the variants measured so far are kept) */
  'sweep_failed',
  /** a capacity search found no request rate that met the SLO, down to the lowest it tried */
  'no_capacity',
  /** nothing to judge: no summary.json, or no case measured */
  'no_results',
  /** a results file, report or baseline could not be read or written */
  'output_error',
  /** read from a summary.json written before failures had codes: only the text is known */
  'unspecified',
] as const

export type FailureCode = (typeof FAILURE_CODES)[number]

export interface Failure {
  code: FailureCode
  message: string
}

export function failure(code: FailureCode, message: string): Failure {
  return { code, message }
}

/** A failure as read back from a summary.json; older files hold plain strings (no code is guessed from the text). */
export function asFailure(f: Failure | string): Failure {
  return typeof f === 'string' ? { code: 'unspecified', message: f } : f
}
