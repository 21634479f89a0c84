// A/B in one job: the statistics. A and B run the same cases in alternating rounds (ABBA…), so drift of the
// machine hits both alike; each round gives, per gated metric, one paired difference: the mean over the cases of
// ln(B) − ln(A), signed so that positive = B worse (slower, fewer tok/s). The test is on those per-round differences.
//
// Sequential, valid however often it looks: after every round the verdict is re-read from a confidence sequence
// (a confidence interval that holds at all rounds at once, so stopping as soon as it decides keeps its error
// rates — a fixed-sample t-test re-run after each round would not). The sequence is Lai's (1976) for a normal mean
// with unknown variance: the scale-invariant mixture likelihood ratio, with a N(0, 1/c) prior on the standardized
// effect μ/σ and the right-Haar prior dσ/σ on the scale,
//   M_n(μ) = √(c / (n + c)) · (Q / (Q − T² / (n + c)))^(n/2),   T = Σ(x − μ), Q = Σ(x − μ)²,
// is a nonnegative martingale with M_1 = 1 under the mean μ (on the invariant filtration), so by Ville's inequality
// P(∃ n: M_n(μ) ≥ 1/α) ≤ α, and { μ : M_n(μ) < 1/α } is a (1 − α) confidence sequence. In closed form it is
// x̄ ± √((R − 1)·SS / (n − R·k)), k = nc/(n + c), R = ((n + c)/c)^(1/n) · α^(−2/n), SS = Σ(x − x̄)²,
// and the whole line while n ≤ R·k (too few rounds to say anything).
//
// Three outcomes per metric, with T its threshold (BENCH_GATE_*, on the same log scale) — an indifference zone:
// - PASS: the sequence's upper end is below T (B is confidently not worse by T or more);
// - FAIL: its lower end is above 0 (B is confidently worse) and the estimate is nearer T than 0 (> T/2);
// - else undecided: another round. Error rates at any stopping time: P(FAIL | B no worse than A) ≤ α / metrics
//   (Bonferroni: the run's false alarm rate is ≤ α), P(PASS | B worse by ≥ T) ≤ α per metric (see judgeMetric).
// The run: FAIL as soon as one metric fails; PASS when every median metric and tok/s passes (a p99 can fail the run
// but does not hold it open); INCONCLUSIVE when the budget runs out first.
import { caseKey } from '../core/case-key.ts'
import type { GateMetricDef, GateThresholdKey } from '../helpers/metrics/registry.ts'
import { GATE_METRICS, gateValue } from '../helpers/metrics/registry.ts'
import type { MetricId } from './gate-types.ts'
import type { RunData } from './run-data.ts'

/**
 * Prior precision of the standardized effect (μ/σ ~ N(0, 1/c)): sets which effects the sequence is tightest for.
 * 0.25 (prior sd 2) lets the sequence close after 5 rounds at α' = 0.05/8 and keeps it within ~1.6× a fixed-sample
 * interval at 10–30 rounds; tuned in benches/harness/gate-error-rates.bench.ts (README there).
 */
export const AB_PRIOR_PRECISION = 0.25

export type AbVerdict = 'PASS' | 'FAIL' | 'INCONCLUSIVE'

/** The (1 − α) confidence sequence of the mean of xs at this round: [lo, hi], ±∞ while it cannot close yet. */
export function confidenceSequence(xs: readonly number[], alpha: number, c = AB_PRIOR_PRECISION): [number, number] {
  const n = xs.length
  if (n < 2) return [-Infinity, Infinity]
  const mean = xs.reduce((a, b) => a + b, 0) / n
  let ss = 0
  for (const x of xs) ss += (x - mean) ** 2
  const R = ((n + c) / c) ** (1 / n) * alpha ** (-2 / n)
  const k = (n * c) / (n + c)
  if (n <= R * k) return [-Infinity, Infinity]
  const half = Math.sqrt(((R - 1) * ss) / (n - R * k))
  return [mean - half, mean + half]
}

/** One metric's per-round paired differences (log scale, positive = B worse) and its threshold. */
export interface AbSeries {
  def: GateMetricDef
  /** Threshold in % (a drop for tok/s, a rise for times), from BENCH_GATE_* or the defaults. */
  thresholdPct: number
  diffs: number[]
}

export interface AbMetricResult {
  id: MetricId
  label: string
  /** B against A in the metric's own direction (%): −10 = tok/s 10% lower, +10 = TTFT 10% higher. */
  effectPct: number | null
  /** The confidence sequence at the last round, in the same % terms as effectPct (null ends: not closed yet). */
  ci: [number | null, number | null]
  thresholdPct: number
  verdict: AbVerdict
  /**
   * Whether the metric must PASS for the run to PASS: the medians and tok/s. A p99 of ~10 requests per case moves
   * 15–35% per round on its own (one slow request), so it would hold every A = B run to the budget; it still FAILs
   * the run when confidently worse. The same rule as the historical gate (reporters/gate.ts).
   */
  blocksPass: boolean
  rounds: number
  /** What would decide it, for INCONCLUSIVE metrics. */
  note?: string
}

/** ln-scale worse-direction value → the metric's own % change (tok/s: a drop is negative). */
function pctOf(def: GateMetricDef, worse: number): number {
  return ((def.higherBetter ? Math.exp(-worse) : Math.exp(worse)) - 1) * 100
}

/** The threshold as a worse-direction log change. */
export function logThreshold(def: GateMetricDef, pct: number): number {
  return def.higherBetter ? -Math.log(1 - Math.min(pct, 99.9) / 100) : Math.log(1 + pct / 100)
}

/**
 * One metric's verdict after its rounds so far. The lower end (FAIL: B confidently worse) is read at α / metrics:
 * with A = B every metric is a chance of a false alarm, so they share α. The upper end (PASS: confidently inside
 * the threshold) is read at α: a wrong PASS needs the metric to be truly worse by its threshold, so only the metrics
 * that truly regressed can err and the run's chance of a missed regression stays about α for one or two of them.
 */
export function judgeMetric(s: AbSeries, alphaFail: number, alphaPass: number, c = AB_PRIOR_PRECISION): AbMetricResult {
  const n = s.diffs.length
  const T = logThreshold(s.def, s.thresholdPct)
  const lo = confidenceSequence(s.diffs, alphaFail, c)[0]
  const hi = confidenceSequence(s.diffs, alphaPass, c)[1]
  const mean = n ? s.diffs.reduce((a, b) => a + b, 0) / n : null
  const verdict: AbVerdict = hi < T ? 'PASS' : lo > 0 && mean !== null && mean > T / 2 ? 'FAIL' : 'INCONCLUSIVE'
  // the metric's own direction: for tok/s the worse end (hi) is the lower %
  const ends = [lo, hi].map((x) => (Number.isFinite(x) ? pctOf(s.def, x) : null)) as [number | null, number | null]
  const ci: [number | null, number | null] = s.def.higherBetter ? [ends[1], ends[0]] : ends
  return {
    id: s.def.id,
    label: s.def.label,
    effectPct: mean === null ? null : pctOf(s.def, mean),
    ci,
    thresholdPct: s.thresholdPct,
    verdict,
    blocksPass: s.def.runNoiseScale === 1,
    rounds: n,
    ...(verdict === 'INCONCLUSIVE' ? { note: undecidedNote(s, alphaFail, alphaPass, c) } : {}),
  }
}

/** Rounds that would about decide an undecided metric at the spread seen so far (same mean and sd), or why not. */
function undecidedNote(s: AbSeries, alphaFail: number, alphaPass: number, c: number): string {
  const n = s.diffs.length
  if (n < 2) return 'needs at least 2 rounds'
  const mean = s.diffs.reduce((a, b) => a + b, 0) / n
  const sd = Math.sqrt(s.diffs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1))
  const T = logThreshold(s.def, s.thresholdPct)
  const half = (m: number, alpha: number) => {
    const R = ((m + c) / c) ** (1 / m) * alpha ** (-2 / m)
    const k = (m * c) / (m + c)
    return m <= R * k ? Infinity : Math.sqrt(((R - 1) * sd * sd * (m - 1)) / (m - R * k))
  }
  for (let m = n + 1; m <= 10_000; m = Math.ceil(m * 1.1)) {
    if (mean + half(m, alphaPass) < T || (mean - half(m, alphaFail) > 0 && mean > T / 2))
      return `about ${m} rounds in all would decide it at the spread seen (sd ${(sd * 100).toFixed(1)}% per round)`
  }
  return `its change (${pctOf(s.def, mean).toFixed(1)}%) sits at the edge of the indifference zone; more rounds barely help`
}

/** The run's verdict from its metrics' (metrics without data are left out). */
export function runVerdict(results: readonly AbMetricResult[]): AbVerdict {
  if (results.some((r) => r.verdict === 'FAIL')) return 'FAIL'
  const blocking = results.filter((r) => r.blocksPass)
  return blocking.length && blocking.every((r) => r.verdict === 'PASS') ? 'PASS' : 'INCONCLUSIVE'
}

/** Per gated metric: ln of its value per case key of one run (cases with a positive value only). */
export function caseLogs(run: RunData): Map<MetricId, Map<string, number>> {
  const out = new Map<MetricId, Map<string, number>>(GATE_METRICS.map((g) => [g.id, new Map()]))
  for (const c of run.summary?.cases ?? []) {
    for (const g of GATE_METRICS) {
      const v = gateValue(g, c.summary, c.summary.counts.ok)
      if (v !== null && v > 0 && Number.isFinite(v)) out.get(g.id)!.set(caseKey(c), Math.log(v))
    }
  }
  return out
}

/** One round's paired difference per metric: mean over the cases both runs measured of ln B − ln A, positive = B worse; null without a common case. */
export function roundDiffs(a: RunData, b: RunData): Map<MetricId, number | null> {
  const la = caseLogs(a)
  const lb = caseLogs(b)
  const out = new Map<MetricId, number | null>()
  for (const g of GATE_METRICS) {
    const xa = la.get(g.id)!
    const xb = lb.get(g.id)!
    const ds = [...xa].filter(([k]) => xb.has(k)).map(([k, v]) => xb.get(k)! - v)
    const d = ds.length ? ds.reduce((x, y) => x + y, 0) / ds.length : null
    out.set(g.id, d === null ? null : g.higherBetter ? -d : d)
  }
  return out
}

/** Accumulates rounds and judges them: one per metric that has data in every round so far. */
export class AbTracker {
  readonly series: AbSeries[]
  rounds = 0

  constructor(
    thresholds: Record<GateThresholdKey, number>,
    readonly alpha: number,
    readonly c = AB_PRIOR_PRECISION,
  ) {
    this.series = GATE_METRICS.map((def) => ({ def, thresholdPct: thresholds[def.threshold], diffs: [] }))
  }

  /** Add one round's differences; a metric missing in any round is dropped (it cannot be paired). */
  add(diffs: Map<MetricId, number | null>): void {
    this.rounds++
    for (const s of this.series) {
      const d = diffs.get(s.def.id)
      if (d === null || d === undefined || !Number.isFinite(d)) s.diffs.length = 0
      else if (s.diffs.length === this.rounds - 1) s.diffs.push(d)
    }
  }

  /** Metrics with a difference in every round. */
  private live(): AbSeries[] {
    return this.series.filter((s) => s.diffs.length === this.rounds && this.rounds > 0)
  }

  judge(): { verdict: AbVerdict; metrics: AbMetricResult[] } {
    const live = this.live()
    const metrics = live.map((s) => judgeMetric(s, this.alpha / Math.max(1, live.length), this.alpha, this.c))
    return { verdict: runVerdict(metrics), metrics }
  }
}
