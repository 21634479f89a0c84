// Pure arithmetic over sampled telemetry: power integrated over a window (sample-and-hold), cumulative
// counters read at a window's edges (linear interpolation), and the per-token / per-dollar figures.

/** One reading of a quantity at time t (ms, any clock the window uses too); null = the device said N/A. */
export interface Reading {
  t: number
  v: number | null
}

function valid(rs: readonly Reading[]): { t: number; v: number }[] {
  return rs.filter((r): r is { t: number; v: number } => r.v !== null && Number.isFinite(r.v)).sort((a, b) => a.t - b.t)
}

/**
 * ∫ power dt over [from, to] in joules, with power in W and t in ms. Each reading holds until the next one (the
 * first also back to the window start, the last up to its end), so a constant draw gives exactly W × seconds
 * however irregularly the readings arrived. null when there is no reading or the window is empty.
 */
export function integratePower(readings: readonly Reading[], from: number, to: number): number | null {
  const rs = valid(readings)
  if (rs.length === 0 || !(to > from)) return null
  let joules = 0
  for (let i = 0; i < rs.length; i++) {
    const segStart = i === 0 ? Number.NEGATIVE_INFINITY : rs[i].t
    const segEnd = i + 1 < rs.length ? rs[i + 1].t : Number.POSITIVE_INFINITY
    const overlap = Math.min(segEnd, to) - Math.max(segStart, from)
    if (overlap > 0) joules += (rs[i].v * overlap) / 1000
  }
  return joules
}

/** Readings inside [from, to]; when none fell inside (a window shorter than the interval), the one in force at `from`. */
export function inWindow(readings: readonly Reading[], from: number, to: number): { t: number; v: number }[] {
  const rs = valid(readings)
  const inside = rs.filter((r) => r.t >= from && r.t <= to)
  if (inside.length > 0) return inside
  const before = rs.filter((r) => r.t < from).at(-1) ?? rs[0]
  return before ? [before] : []
}

/** A cumulative counter's value at time t: linear between the readings around it, clamped at the ends. */
export function counterAt(readings: readonly Reading[], t: number): number | null {
  const rs = valid(readings)
  if (rs.length === 0) return null
  if (t <= rs[0].t) return rs[0].v
  for (let i = 1; i < rs.length; i++) {
    if (t <= rs[i].t) {
      const a = rs[i - 1]
      const b = rs[i]
      return b.t === a.t ? b.v : a.v + ((b.v - a.v) * (t - a.t)) / (b.t - a.t)
    }
  }
  return rs[rs.length - 1].v
}

/** Counter increase over [from, to] (interpolated at both edges); null without readings. */
export function counterDelta(readings: readonly Reading[], from: number, to: number): number | null {
  const a = counterAt(readings, from)
  const b = counterAt(readings, to)
  return a === null || b === null ? null : b - a
}

export function mean(xs: readonly number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length
}

export function peak(xs: readonly number[]): number | null {
  return xs.length === 0 ? null : Math.max(...xs)
}

/** Joules per output token; null when either is unknown or no token was generated (never a fake 0). */
export function perToken(joules: number | null, outputTokens: number): number | null {
  return joules === null || !(outputTokens > 0) ? null : joules / outputTokens
}

/** $ per 1M output tokens at `perHour` dollars per hour of the machine, over `wallMs` that produced `outputTokens`. */
export function usdPerMillionTokens(perHour: number | undefined, wallMs: number, outputTokens: number): number | null {
  if (perHour === undefined || !(outputTokens > 0) || !(wallMs > 0)) return null
  return ((perHour * wallMs) / 3_600_000 / outputTokens) * 1_000_000
}
