// The pure part of sweeps (docs/spec.md §4): which candidates, and when to stop. No I/O, so it is tested on its own.

/** ceil(layers × p / 100), at least 1, duplicates dropped, order kept: 35 layers → 35 32 27 21 18 14 11 7 4. */
export function autoNgCandidates(layers: number, percents: readonly number[]): number[] {
  const out: number[] = []
  for (const p of percents) {
    const n = Math.max(1, Math.ceil((layers * p) / 100))
    if (!out.includes(n)) out.push(n)
  }
  return out
}

export interface StopRules {
  /** EXHAUSTIVE: false → stop at the first candidate with tok/s > 0. */
  exhaustive: boolean
  /** ZERO_TOKPS_BREAK: stop after this many consecutive zero results. */
  zeroBreak: number
  /** NO_IMPROVE_LIMIT: stop after this many consecutive results that do not beat the best by `delta`. */
  noImproveLimit: number
  /** EARLY_STOP_DELTA: relative margin a result must beat the best by to count as an improvement. */
  delta: number
}

/**
 * Feed candidate results in order; `add()` says whether to measure the next one. The base-as-is row is not fed:
 * candidates compete with each other. A zero result is also a result that did not improve.
 */
export class SweepStopper {
  best = 0
  bestIndex = -1
  stopReason: string | undefined
  private zeros = 0
  private flat = 0
  private n = 0

  constructor(private readonly rules: StopRules) {}

  /** Returns true when the sweep should go on. */
  add(tokPerSec: number): boolean {
    const i = this.n++
    const improved = tokPerSec > 0 && (this.bestIndex < 0 || tokPerSec > this.best * (1 + this.rules.delta))
    if (tokPerSec > 0 && tokPerSec > this.best) {
      this.best = tokPerSec
      this.bestIndex = i
    }
    if (!this.rules.exhaustive) {
      if (tokPerSec > 0) this.stopReason = 'first working candidate (EXHAUSTIVE=0)'
      return this.stopReason === undefined
    }
    this.zeros = tokPerSec > 0 ? 0 : this.zeros + 1
    this.flat = improved ? 0 : this.flat + 1
    if (this.zeros >= this.rules.zeroBreak) this.stopReason = `${this.zeros} consecutive zero results (ZERO_TOKPS_BREAK=${this.rules.zeroBreak})`
    else if (this.flat >= this.rules.noImproveLimit)
      this.stopReason = `${this.flat} results without beating the best by more than ${this.rules.delta * 100}% (NO_IMPROVE_LIMIT=${this.rules.noImproveLimit}, EARLY_STOP_DELTA=${this.rules.delta})`
    return this.stopReason === undefined
  }
}
