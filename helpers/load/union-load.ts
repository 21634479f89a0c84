// The per-trial load accounting of one case measured by several client processes — BENCH_CLIENT_PROCS workers on
// one host, or BENCH_SHARD processes joined by `fuze-bench merge` — rebuilt from the union of their requests on one
// timeline. The union was at full load only while every part was: a trial's steady window is the intersection of
// the parts' windows. Releases are refitted over the union (the rate fit needs them in time order), so the only
// per-request state kept is two numbers per measured request until the trial accounts are taken.
import { TrialAcc } from '../metrics/load-summary.ts'
import { QuantileAcc } from '../metrics/sketch.ts'
import type { RequestRecord, SloSpec } from '../types.ts'

export interface UnionWindow {
  startMs: number
  endMs: number
}

/** What one part (process, shard) knew of its own share that the records do not say. */
export interface UnionPart {
  /** Per trial (index trial − 1): its steady window on the union timeline; null or missing: it had none. */
  windows: (UnionWindow | null)[]
  /** Per trial: most requests it had in flight at once (a missing trial takes the last value). */
  maxInFlight: number[]
  aborted?: string
  /** Per trial: ok requests whose server-counted output differed from what they asked for. */
  short?: number[]
}

export class UnionLoad {
  private readonly accs = new Map<number, TrialAcc>()
  private readonly sends = new Map<number, number[]>()
  readonly dispatchLagMs = new QuantileAcc()

  /** `trialStartMs`: where each trial began on the union timeline (release offsets are taken from it). */
  constructor(
    private readonly parts: readonly UnionPart[],
    private readonly rampUpMs: number,
    private readonly slo: SloSpec,
    private readonly trialStartMs: (trial: number) => number = () => 0,
    /** false: the parts' own dispatch-lag accumulators are merged into dispatchLagMs instead (scheduler lag, as one process reports it). */
    private readonly lagFromRecords = true,
    /** An open loop: SLOs judge TTFT and E2E from each request's scheduled arrival (meetsSlo). */
    private readonly fromArrival = false,
  ) {}

  private trial(t: number): TrialAcc {
    const have = this.accs.get(t)
    if (have) return have
    const acc = new TrialAcc(t, this.rampUpMs, this.slo, this.fromArrival)
    const ws = this.parts.map((p) => p.windows[t - 1] ?? null)
    if (ws.length > 0 && ws.every((w) => w !== null)) {
      const w = { startMs: Math.max(...ws.map((x) => x!.startMs)), endMs: Math.min(...ws.map((x) => x!.endMs)) }
      acc.window = w.endMs > w.startMs ? w : null
    }
    const pick = (xs: number[] | undefined) => (xs === undefined || xs.length === 0 ? 0 : (xs[t - 1] ?? xs[xs.length - 1]))
    acc.maxInFlight = this.parts.reduce((a, p) => a + pick(p.maxInFlight), 0)
    acc.short = this.parts.reduce((a, p) => a + pick(p.short), 0)
    acc.aborted = this.parts.find((p) => p.aborted !== undefined)?.aborted
    this.accs.set(t, acc)
    this.sends.set(t, [])
    return acc
  }

  /** A measured request of the union (tStartMs on the union timeline); others are ignored. */
  add(r: RequestRecord & { trial?: number }, promptTokens = r.promptTokensServer ?? 0, requested: number | null = r.outputTokensServer): void {
    if (r.phase !== 'run') return
    const t = r.trial ?? 1
    const acc = this.trial(t)
    acc.add(r, { startMs: acc.window?.startMs, endMs: acc.window?.endMs ?? Infinity }, promptTokens, requested)
    // each request went queueMs after it was due: (due, sent) pairs, fitted in send order once all are in
    const at = r.tStartMs - this.trialStartMs(t)
    this.sends.get(t)!.push(at - r.queueMs, at)
    if (this.lagFromRecords) this.dispatchLagMs.add(r.queueMs)
  }

  /** The trial accounts, in trial order, with the union's releases folded in. */
  trials(): TrialAcc[] {
    return [...this.accs.keys()]
      .sort((a, b) => a - b)
      .map((t) => {
        const acc = this.accs.get(t)!
        const flat = this.sends.get(t)!
        const order = Array.from({ length: flat.length / 2 }, (_, i) => i).sort((a, b) => flat[2 * a + 1] - flat[2 * b + 1])
        for (const i of order) acc.release(flat[2 * i], flat[2 * i + 1])
        this.sends.set(t, [])
        return acc
      })
  }
}
