// Sweep candidates and stopping rules (docs/spec.md §4), as pure functions.
import { describe, expect, it } from 'vitest'
import { autoNgCandidates, SweepStopper, type StopRules } from '../../helpers/sweep-rules.ts'

const PERCENTS = [100, 90, 75, 60, 50, 40, 30, 20, 10]

/** Feed results until the stopper says stop; returns how many were measured. */
function measured(rules: StopRules, results: number[]): { n: number; reason?: string; best: number } {
  const s = new SweepStopper(rules)
  let n = 0
  for (const r of results) {
    n++
    if (!s.add(r)) break
  }
  return { n, reason: s.stopReason, best: s.best }
}

const EXH: StopRules = { exhaustive: true, zeroBreak: 3, noImproveLimit: 5, delta: 0.03 }

describe('AUTO_NG candidates', () => {
  it('35 layers with the default NG_PERCENT_SET give 35 32 27 21 18 14 11 7 4', () => {
    expect(autoNgCandidates(35, PERCENTS)).toEqual([35, 32, 27, 21, 18, 14, 11, 7, 4])
  })
  it('never goes below 1 and drops duplicates keeping order', () => {
    expect(autoNgCandidates(3, PERCENTS)).toEqual([3, 2, 1])
    expect(autoNgCandidates(1, [100, 50, 10])).toEqual([1])
  })
})

describe('stopping rules', () => {
  it('EXHAUSTIVE=0 stops at the first candidate with tok/s > 0', () => {
    expect(measured({ ...EXH, exhaustive: false }, [0, 0, 12, 50, 60])).toMatchObject({ n: 3, best: 12 })
  })
  it('EXHAUSTIVE=0 with nothing working measures every candidate', () => {
    expect(measured({ ...EXH, exhaustive: false }, [0, 0, 0, 0]).n).toBe(4)
  })
  it('ZERO_TOKPS_BREAK consecutive zeros stop the sweep; a working result resets the count', () => {
    expect(measured(EXH, [10, 0, 0, 0, 99]).n).toBe(4)
    expect(measured(EXH, [0, 0, 10, 0, 0, 20, 0, 0, 0, 30]).n).toBe(9)
    expect(measured(EXH, [10, 0, 0, 0, 99]).reason).toContain('ZERO_TOKPS_BREAK=3')
  })
  it('NO_IMPROVE_LIMIT results that do not beat the best by more than EARLY_STOP_DELTA stop the sweep', () => {
    // 102 and 103 are within 3% of 100: not improvements
    expect(measured(EXH, [100, 102, 103, 101, 100, 99, 500]).n).toBe(6)
    // the best is the highest so far (102): 104 is within 3% of it, 106 is not and starts the count again
    expect(measured(EXH, [100, 102, 104, 101, 100, 99, 500]).n).toBe(6)
    expect(measured(EXH, [100, 102, 106, 101, 100, 99, 98, 97, 500]).n).toBe(8)
    expect(measured(EXH, [100, 102, 103, 101, 100, 99]).reason).toContain('NO_IMPROVE_LIMIT=5')
  })
  it('the best is the highest result even when it was not a large enough improvement', () => {
    expect(measured(EXH, [100, 102, 103, 101, 100, 99]).best).toBe(103)
  })
  it('runs out of candidates without a stop reason when no rule fires', () => {
    expect(measured(EXH, [10, 20, 40, 80])).toEqual({ n: 4, reason: undefined, best: 80 })
  })
})
