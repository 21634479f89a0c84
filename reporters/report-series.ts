// The series report.html's charts draw that are not one number per case: labels that tell cases apart,
// throughput–latency curves across load levels, and the sweep axis (a categorical one: "default" for the
// stack's own setting, then −1 — llama.cpp's `-ngl -1`, its automatic fit, not a layer count — then the
// layer counts in order; a numeric axis spanned −2…0 around a lone −1).
import { shortKey } from '../core/case-key.ts'
import type { RunCase } from './run-data.ts'

/** `<model> · <case name>` — the case name carries the variant and the level (`ngl sweep [ngl=8]`, `decode [c=4]`). */
export function caseLabels(cases: readonly RunCase[], alias: (model: string) => string): string[] {
  const stacks = new Set(cases.map((c) => c.stack)).size > 1
  const slots = new Set(cases.map((c) => c.row.suffix)).size > 1
  const first = cases.map((c) => `${alias(c.model)}${stacks ? ` on ${c.stack}` : ''} · ${c.summary.caseName}${slots ? ` [${c.row.suffix}]` : ''}`)
  // two specs may name a case alike: then the describe path tells them apart
  return first.map((l, i) =>
    first.indexOf(l) === first.lastIndexOf(l) ? l : `${alias(cases[i].model)} · ${shortKey(cases[i].fullName)}${slots ? ` [${cases[i].row.suffix}]` : ''}`,
  )
}

export interface LoadPoint {
  /** `c=4`, `rate=3/s`. */
  level: string
  order: number
  outputTokPerSec: number
  reqPerSec: number
  ttftP50: number | null
  ttftP99: number | null
  tpotP50: number | null
  tpotP99: number | null
}

export interface LoadCurve {
  label: string
  /** closed: concurrency levels; open: request rates. */
  mode: 'closed' | 'open'
  points: LoadPoint[]
}

/** One curve per (model, case without its level, load mode): its levels in order, one point each. */
export function loadCurves(cases: readonly RunCase[], labels: readonly string[]): LoadCurve[] {
  const curves = new Map<string, LoadCurve>()
  cases.forEach((c, i) => {
    const load = c.summary.load
    if (!load) return
    const level = `${load.mode === 'closed' ? `c=${load.concurrency ?? 1}` : `rate=${load.targetRate ?? '?'}/s`}${load.saturation ? ' (past saturation)' : ''}`
    const order = load.mode === 'closed' ? (load.concurrency ?? 1) : (load.targetRate ?? 0)
    // the label without its trailing "[c=4]" names the curve
    const name = labels[i].replace(/\s*\[[^\]]*\]$/, '')
    const key = `${c.file}|${c.stack}|${c.model}|${c.row.suffix}|${name}|${load.mode}`
    const curve = curves.get(key) ?? { label: `${name} (${load.mode === 'closed' ? 'concurrency' : 'request rate'})`, mode: load.mode, points: [] }
    const s = c.summary
    curve.points.push({
      level,
      order,
      outputTokPerSec: s.outputTokenThroughput,
      reqPerSec: s.requestThroughput,
      ttftP50: s.ttftMs.p50,
      ttftP99: s.ttftMs.p99,
      tpotP50: s.tpotMs.p50,
      tpotP99: s.tpotMs.p99,
    })
    curves.set(key, curve)
  })
  return [...curves.values()].map((c) => ({ ...c, points: c.points.sort((a, b) => a.order - b.order) }))
}

export interface CapacityPoint {
  index: number
  /** The probe's target rate and what the server took (req/s; achieved null when nothing finished). */
  rate: number
  achievedRate: number | null
  outputTokPerSec: number
  e2eP50: number | null
  e2eP95: number | null
  ttftP50: number | null
  goodFraction: number
  pass: boolean
  reasons: string[]
}

/** A capacity case's search: every probe as a throughput–latency point, and what it found. */
export interface CapacityCurve {
  label: string
  maxRequestRate: number | null
  failedAt: number | null
  /** Output tok/s at maxRequestRate. */
  outputTokPerSec: number | null
  /** The E2E objective the probes were judged by (ms), drawn as a line when set. */
  sloE2eMs: number | null
  stoppedBy: string
  durationS: number
  /** In probe order (the search's own order: bracketing, then bisecting). */
  probes: CapacityPoint[]
}

/** One curve per capacity case (summary.capacity), labelled like the case everywhere else. */
export function capacityCurves(cases: readonly RunCase[], labels: readonly string[]): CapacityCurve[] {
  const out: CapacityCurve[] = []
  cases.forEach((c, i) => {
    const cap = c.summary.capacity
    if (!cap) return
    out.push({
      label: labels[i],
      maxRequestRate: cap.maxRequestRate,
      failedAt: cap.failedAt,
      outputTokPerSec: cap.outputTokPerSec,
      sloE2eMs: cap.slo.e2eMs ?? null,
      stoppedBy: cap.stoppedBy,
      durationS: cap.durationS,
      probes: cap.probes.map((p) => ({
        index: p.index,
        rate: p.rate,
        achievedRate: p.achievedRate,
        outputTokPerSec: p.outputTokPerSec,
        e2eP50: p.e2eP50Ms,
        e2eP95: p.e2eP95Ms,
        ttftP50: p.ttftP50Ms,
        goodFraction: p.goodFraction,
        pass: p.pass,
        reasons: p.reasons,
      })),
    })
  })
  return out
}

/** Where a sweep value sits on the categorical axis: default, then −1 (auto), then layer counts ascending. */
export function sweepTick(numGpu: string): { tick: string; order: number } {
  if (numGpu === 'default' || numGpu === '') return { tick: 'default', order: -3 }
  const n = Number(numGpu)
  if (!Number.isFinite(n)) return { tick: numGpu, order: Number.MAX_SAFE_INTEGER }
  if (n < 0) return { tick: `${n} (auto)`, order: -2 }
  return { tick: String(n), order: n }
}
