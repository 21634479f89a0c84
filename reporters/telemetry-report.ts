// report.html's view of a case's telemetry: the server metrics the stack names per role, read back from the case's
// server-metrics.jsonl (counters turned into rates), the GPUs' power from gpu.csv, all on the per-request timeline's
// axis (ms since the case's t0), plus the per-case figures. Thinned to MAX_POINTS per series.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { sumOf } from '../helpers/telemetry/prom-text.ts'
import { COUNTER_ROLES, METRIC_ROLES, telemetryOf, type CaseTelemetry, type MetricRole } from '../helpers/telemetry/types.ts'

const MAX_POINTS = 300

export interface ReportSeries {
  role: MetricRole | 'gpuPower'
  /** The metric as the server names it (or `nvidia-smi power.draw`). */
  name: string
  /** 'rate' = a counter shown per second. */
  kind: 'gauge' | 'rate'
  points: Array<{ x: number; y: number }>
}

export interface ReportTelemetry {
  series: ReportSeries[]
  figures: Pick<
    CaseTelemetry,
    'powerSource' | 'meanW' | 'peakW' | 'energyJ' | 'jPerOutputToken' | 'gpuUtilMeanPct' | 'gpuMemPeakMib' | 'cpuSeconds' | 'usdPer1MOutputTokens'
  >
  samples: number | null
  metricsSource: string
  reconciliation: CaseTelemetry['reconciliation'] | null
  notes: string[]
}

function thin<T>(xs: T[]): T[] {
  if (xs.length <= MAX_POINTS) return xs
  const step = xs.length / MAX_POINTS
  return Array.from({ length: MAX_POINTS }, (_, i) => xs[Math.floor(i * step)])
}

function readLines(path: string): string[] {
  return existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
    : []
}

function serverSeries(runDir: string, t: CaseTelemetry): ReportSeries[] {
  if (!('url' in t.server)) return []
  const scrapes: Array<{ x: number; values: Record<string, number> }> = []
  for (const line of readLines(join(runDir, t.server.file))) {
    try {
      const s = JSON.parse(line) as { epochMs: number; values: Record<string, number> }
      scrapes.push({ x: s.epochMs - t.t0EpochMs, values: s.values })
    } catch {
      // a line cut short by an interrupted run
    }
  }
  const out: ReportSeries[] = []
  for (const role of METRIC_ROLES) {
    const name = t.server.roles[role]
    if (!name) continue
    const vals = scrapes.map((s) => ({ x: s.x, v: sumOf(s.values, name) })).filter((p): p is { x: number; v: number } => p.v !== undefined)
    const counter = COUNTER_ROLES.has(role)
    const points = counter
      ? vals.slice(1).map((p, i) => ({ x: p.x, y: p.x > vals[i].x ? ((p.v - vals[i].v) * 1000) / (p.x - vals[i].x) : 0 }))
      : vals.map((p) => ({ x: p.x, y: p.v }))
    if (points.length > 0) out.push({ role, name, kind: counter ? 'rate' : 'gauge', points: thin(points) })
  }
  return out
}

/** Total power of the case's GPUs per nvidia-smi interval (one row per GPU per interval in gpu.csv). */
function gpuSeries(runDir: string, t: CaseTelemetry): ReportSeries[] {
  if (!t.gpuFile || !t.gpus?.length) return []
  const n = t.gpus.length
  const rows = readLines(join(runDir, t.gpuFile))
    .slice(1)
    .map((l) => l.split(','))
  const points: Array<{ x: number; y: number }> = []
  for (let i = 0; i + n <= rows.length; i += n) {
    const block = rows.slice(i, i + n)
    const ws = block.map((r) => (r[2] === '' ? Number.NaN : Number(r[2])))
    if (ws.some((w) => !Number.isFinite(w))) continue
    points.push({ x: Number(block[0][0]) - t.t0EpochMs, y: ws.reduce((a, b) => a + b, 0) })
  }
  return points.length > 0 ? [{ role: 'gpuPower', name: `nvidia-smi power.draw (${n} GPU${n > 1 ? 's' : ''})`, kind: 'gauge', points: thin(points) }] : []
}

export function reportTelemetry(runDir: string, summary: { sections?: Record<string, unknown> }): ReportTelemetry | undefined {
  const t = telemetryOf(summary)
  if (!t) return undefined
  return {
    series: [...serverSeries(runDir, t), ...gpuSeries(runDir, t)],
    figures: {
      powerSource: t.powerSource,
      meanW: t.meanW,
      peakW: t.peakW,
      energyJ: t.energyJ,
      jPerOutputToken: t.jPerOutputToken,
      gpuUtilMeanPct: t.gpuUtilMeanPct,
      gpuMemPeakMib: t.gpuMemPeakMib,
      cpuSeconds: t.cpuSeconds,
      usdPer1MOutputTokens: t.usdPer1MOutputTokens,
    },
    samples: 'url' in t.server ? t.server.samples : null,
    metricsSource: 'url' in t.server ? t.server.url : `none: ${t.server.none}`,
    reconciliation: t.reconciliation ?? null,
    notes: t.notes,
  }
}
