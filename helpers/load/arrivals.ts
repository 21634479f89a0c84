// Open-loop arrival schedules (pure): the offsets, in ms from the start of the measured phase, at which each
// request becomes due. Poisson and constant arrivals share one construction: event k happens when the
// cumulative intensity Λ(t) reaches S_k, where S_k is a sum of unit exponentials (Poisson) or simply k
// (constant). A linear ramp-up from 0 to the target rate only changes Λ, so both processes ramp the same way.
import { seededRng, unitExponential } from './rng.ts'

export type ArrivalProcess = 'poisson' | 'constant'

export interface ArrivalSpec {
  /** Target rate in requests/s once any ramp-up is over. */
  rate: number
  process: ArrivalProcess
  /** Seconds over which the rate rises linearly from 0 to `rate` (0 = start at full rate). */
  rampUpS?: number
  /** Seed of the Poisson draws (same seed, same schedule). */
  seed?: number
}

export interface ArrivalBounds {
  /** Stop after this many arrivals. */
  count?: number
  /** Stop before the first arrival later than this many ms. */
  durationMs?: number
}

/** Λ⁻¹: the time (ms) at which the expected number of arrivals reaches `events`. */
export function timeForEvents(events: number, rate: number, rampUpS: number): number {
  const perMs = rate / 1000
  const rampMs = rampUpS * 1000
  // events expected during the ramp: area of the triangle under the rising rate
  const rampEvents = (perMs * rampMs) / 2
  if (rampMs > 0 && events <= rampEvents) return Math.sqrt((2 * events * rampMs) / perMs)
  return rampMs + (events - rampEvents) / perMs
}

export function checkArrivalSpec(spec: ArrivalSpec, bounds: ArrivalBounds): void {
  if (!(spec.rate > 0) || !Number.isFinite(spec.rate))
    throw new Error(`request rate must be a positive number of requests/s, got ${spec.rate}: set BENCH_RATE (e.g. 2 or 0.5,1,2) or the case's rate option.`)
  if ((spec.rampUpS ?? 0) < 0) throw new Error(`ramp-up must be 0 or more seconds, got ${spec.rampUpS}: fix the case's rampUpS option.`)
  if (bounds.count === undefined && bounds.durationMs === undefined)
    throw new Error('an open-loop schedule needs a bound: give a request count (BENCH_REQUESTS / requests) or a duration (BENCH_DURATION / duration).')
}

/** Due offsets (ms, ascending, first at or after 0) of every arrival within the bounds. */
export function arrivalOffsets(spec: ArrivalSpec, bounds: ArrivalBounds): number[] {
  checkArrivalSpec(spec, bounds)
  const rng = seededRng(spec.seed ?? 1)
  const ramp = spec.rampUpS ?? 0
  const out: number[] = []
  // constant arrivals start at t = 0 when there is no ramp (S_k = k for k = 0, 1, …); with a ramp the first
  // arrival is when the first whole expected event has accumulated
  let s = spec.process === 'constant' ? (ramp > 0 ? 1 : 0) : unitExponential(rng)
  for (;;) {
    if (bounds.count !== undefined && out.length >= bounds.count) break
    const t = timeForEvents(s, spec.rate, ramp)
    if (bounds.durationMs !== undefined && t > bounds.durationMs) break
    out.push(t)
    s += spec.process === 'constant' ? 1 : unitExponential(rng)
  }
  return out
}
