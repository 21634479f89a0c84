// report.html: one self-contained file (Chart.js, styles, script and data inlined) that opens from disk
// with no network. The page script lives in assets/report.js; this module only prepares the data.
import { join } from 'node:path'
import { aliasOf } from '../env/alias.ts'
import { isStackName, stackDef } from '../fixtures/stacks/index.ts'
import { cellValue, TABLE_COLUMNS } from '../helpers/metrics/registry.ts'
import type { GateResult } from './gate.ts'
import { caseKey, shortKey } from '../core/case-key.ts'
import { fmtChange, fmtEvidence, fmtNum, verdictWord } from './gate-report.ts'
import { htmlPage, thinCdf } from './html-page.ts'
import { type CapacityCurve, capacityCurves, caseLabels, type LoadCurve, loadCurves, sweepTick } from './report-series.ts'
import { caseRequests, type RunData } from './run-data.ts'
import { writeFileAtomic } from './safe-write.ts'
import { reportTelemetry, type ReportTelemetry } from './telemetry-report.ts'

export interface ReportTimelineEntry {
  /** ms since the case started */
  start: number
  firstToken: number | null
  end: number
  ok: boolean
  outcome: string
  error?: string
}

export interface ReportCase {
  key: string
  name: string
  label: string
  stack: string
  model: string
  alias: string
  variant: string
  modelTag: string
  numGpu: string
  gpuLabel: string
  endpoint: string
  suffix: string
  tokps: number
  tokpsSource: string
  counts: { requests: number; ok: number; failed: number }
  /** One value per ReportData.metricColumns entry (the registry's table columns). */
  metrics: Array<number | null>
  /** Sorted samples, thinned to ≤ 101 quantiles, for the distribution (ECDF) charts. */
  ttftCdf: number[]
  itlCdf: number[]
  e2eCdf: number[]
  timeline: ReportTimelineEntry[]
  failures: string[]
  warnings: string[]
  /** Server metrics and GPU power over the case, and its energy/cost figures (null: no telemetry). */
  telemetry: ReportTelemetry | null
}

export interface ReportSweep {
  label: string
  param: string
  /** tok/s of base-as-is (the stack's default setting), drawn at the 'default' tick. */
  base: number | null
  /** Candidates in axis order; `x` is the categorical tick ('-1 (auto)', '8'). */
  points: Array<{ x: string; y: number; order: number }>
}

export interface ReportGate {
  passed: boolean
  /** The three-way verdict and how it is printed (an INCONCLUSIVE that BENCH_GATE_INCONCLUSIVE=fail fails says so). */
  verdict: GateResult['verdict']
  verdictText: string
  baseline: string | null
  failures: Array<{ caseKey: string; reason: string }>
  rows: Array<{ caseKey: string; metric: string; baseline: string; now: string; change: string; threshold: string; evidence: string; verdict: string }>
  warnings: string[]
}

export interface ReportData {
  runId: string
  host: string
  startedAt: string
  finishedAt: string
  incomplete: boolean
  generatedAt: string
  gate: ReportGate | null
  /** The metric columns of the "All cases" table, from the metric registry. */
  metricColumns: Array<{ header: string; digits: number }>
  cases: ReportCase[]
  sweeps: ReportSweep[]
  /** Throughput–latency curves over load levels (report-series.ts). */
  loadCurves: LoadCurve[]
  /** Capacity searches: every probe of each capacity case (report-series.ts). */
  capacity: CapacityCurve[]
}

const MAX_TIMELINE = 400

/** The sweep knob's name as users know it per stack (its sweepParam; ngl for stacks without one). */
const offloadParam = (stack: string) => (isStackName(stack) ? stackDef(stack).sweepParam : undefined) ?? 'ngl'

function reportGate(g: GateResult): ReportGate {
  return {
    passed: g.passed,
    verdict: g.verdict,
    verdictText: verdictWord(g),
    baseline: g.baseline ? `${g.baseline.name} (run ${g.baseline.runId})` : null,
    failures: g.failures.map((f) => ({ caseKey: shortKey(f.caseKey), reason: f.message })),
    rows: [...g.regressions, ...g.inconclusive, ...g.improvements].map((r) => ({
      caseKey: shortKey(r.caseKey),
      metric: r.label,
      baseline: fmtNum(r.baseline),
      now: fmtNum(r.now),
      change: fmtChange(r.changePct),
      threshold: `${r.thresholdPct}%`,
      evidence: fmtEvidence(r),
      verdict: r.verdict,
    })),
    warnings: g.warnings,
  }
}

export function reportData(run: RunData, gate: GateResult | null): ReportData {
  const runCases = run.summary?.cases ?? []
  const labels = caseLabels(runCases, (m) => aliasOf(m).short)
  const cases: ReportCase[] = runCases.map((c, i) => {
    const reqs = caseRequests(run, c)
    const ok = reqs.filter((r) => r.outcome === 'ok')
    const alias = aliasOf(c.model).short
    const variant = c.row.variantLabel
    return {
      key: caseKey(c),
      name: c.summary.caseName,
      label: labels[i],
      stack: c.stack,
      model: c.model,
      alias,
      variant,
      modelTag: c.row.modelTag,
      numGpu: String(c.row.numGpu),
      gpuLabel: c.row.gpuLabel,
      endpoint: c.row.endpoint,
      suffix: c.row.suffix,
      tokps: c.summary.tokensPerSec,
      tokpsSource: c.summary.tokensPerSecSource,
      counts: { requests: c.summary.counts.requests, ok: c.summary.counts.ok, failed: c.summary.counts.failed },
      metrics: TABLE_COLUMNS.map((col) => cellValue(c.summary, col)),
      ttftCdf: thinCdf(ok.map((r) => r.ttftMs ?? NaN)),
      itlCdf: thinCdf(ok.map((r) => r.itlMs)),
      e2eCdf: thinCdf(ok.map((r) => r.e2eMs ?? NaN)),
      timeline: reqs.slice(0, MAX_TIMELINE).map((r) => ({
        start: r.tStartMs,
        firstToken: r.ttftMs === null ? null : r.tStartMs + r.ttftMs,
        end: r.tStartMs + (r.e2eMs ?? r.ttftMs ?? 0),
        ok: r.outcome === 'ok',
        outcome: r.outcome,
        ...(r.error ? { error: r.error.slice(0, 200) } : {}),
      })),
      failures: c.summary.failures.map((f) => f.message),
      warnings: c.summary.warnings,
      telemetry: reportTelemetry(run.dir, c.summary) ?? null,
    }
  })
  const groups = new Map<string, ReportSweep>()
  for (const c of cases) {
    const k = `${c.stack}|${c.model}|${c.gpuLabel}|${c.suffix}`
    const g = groups.get(k) ?? {
      label: `${c.alias} on ${c.stack} (${c.gpuLabel}${c.suffix !== 'X' ? `, ${c.suffix}` : ''})`,
      param: offloadParam(c.stack),
      base: null,
      points: [],
    }
    if (c.variant === 'base-as-is') g.base = Math.max(g.base ?? 0, c.tokps)
    else if (c.variant === 'optimized') {
      const t = sweepTick(c.numGpu)
      g.points.push({ x: t.tick, y: c.tokps, order: t.order })
    }
    groups.set(k, g)
  }
  const sweeps = [...groups.values()].filter((g) => g.points.length > 0).map((g) => ({ ...g, points: g.points.sort((a, b) => a.order - b.order) }))
  return {
    runId: run.runId,
    host: run.summary?.host ?? '',
    startedAt: run.summary?.startedAt ?? '',
    finishedAt: run.summary?.finishedAt ?? '',
    incomplete: run.summary?.incomplete ?? false,
    generatedAt: new Date().toISOString(),
    gate: gate ? reportGate(gate) : null,
    metricColumns: TABLE_COLUMNS.map((col) => ({ header: col.header, digits: col.metric.digits })),
    cases,
    sweeps,
    loadCurves: loadCurves(runCases, labels),
    capacity: capacityCurves(runCases, labels),
  }
}

export function renderHtml(data: ReportData): string {
  return htmlPage(`fuze-bench · ${data.runId}`, data, 'report.js')
}

export function writeReport(runDir: string, run: RunData, gate: GateResult | null): string {
  const path = join(runDir, 'report.html')
  writeFileAtomic(path, renderHtml(reportData(run, gate)))
  return path
}
