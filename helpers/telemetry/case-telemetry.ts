// Telemetry beside one case: the server's Prometheus metrics, GPU readings (one nvidia-smi child) or, on a CPU
// host, the server's CPU time and RAPL package energy — started with the case, stopped with it, and summarised
// over the measured window into CaseTelemetry (energy per token, $ per 1M tokens, counter reconciliation).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fnv1a } from '../rng.ts'
import type { CaseSummary } from '../types.ts'
import { counterDelta, integratePower, inWindow, mean, peak, perToken, usdPerMillionTokens, type Reading } from './energy.ts'
import { HostSampler, raplZones } from './host.ts'
import { NvidiaSmiSampler, type GpuSamplerResult } from './nvidia-smi.ts'
import { PromSampler, type ServerSamplerResult } from './server-sampler.ts'
import { METRIC_ROLES, type CaseTelemetry, type GpuTelemetry, type MetricRole, type PromEndpointDef } from './types.ts'

/** The measured phase as the case runner saw it: its origin (performance.now()) and first send → last end since then. */
export interface MeasuredPhase {
  t0: number
  window: { startMs: number; endMs: number } | undefined
  /** Server-counted output tokens of every ok request sent in the phase (CaseContext.sentOutputTokens), where known. */
  sentOutputTokens?: number | undefined
}

/** What the samplers need to know about the server a case runs against. */
export interface TelemetryTarget {
  /** `[stack model]`, for the lines a user sees. */
  label: string
  /** The Prometheus endpoint to sample, or why there is none (Ollama, no --metrics, …). */
  metrics: { url: string; def: PromEndpointDef } | { none: string }
  /** nvidia-smi indexes of the GPUs the server runs on ([] = CPU). */
  gpuIndexes: readonly number[]
  /** The server process, when we started it (CPU time); undefined for an external server. */
  pid?: number
  runDir: string
  intervalMs: number
  costPerHour?: number
  /** Package energy zones root (tests point it at a folder of their own). */
  powercapRoot?: string
}

const said = new Set<string>()
/** "No server metrics for Ollama" is said once per process, not once per case. */
function sayOnce(line: string): void {
  if (said.has(line)) return
  said.add(line)
  console.log(line)
}

/** A folder per case under telemetry/: readable name, a hash of file + name so two files' same-named cases differ. */
export function caseFolder(runDir: string, file: string, fullName: string): string {
  const slug =
    fullName
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 60) || 'case'
  const base = `${slug}-${fnv1a(`${file}\u0000${fullName}`).toString(16).padStart(8, '0')}`
  // a sweep measures several variants under one name: each gets its own folder
  let name = base
  for (let i = 2; existsSync(join(runDir, 'telemetry', name)); i++) name = `${base}-${i}`
  return join('telemetry', name)
}

export class CaseTelemetryRun {
  private prom: PromSampler | undefined
  private gpu: NvidiaSmiSampler | undefined
  private host: HostSampler | undefined
  private readonly keep: string[]
  readonly folder: string

  constructor(
    private readonly target: TelemetryTarget,
    ident: { file: string; fullName: string },
  ) {
    this.folder = caseFolder(target.runDir, ident.file, ident.fullName)
    const m = target.metrics
    this.keep = 'url' in m ? [...new Set(METRIC_ROLES.flatMap((r) => m.def.roles[r] ?? []))] : []
  }

  private abs(name: string): string {
    return join(this.target.runDir, this.folder, name)
  }

  async start(): Promise<void> {
    const t = this.target
    if ('url' in t.metrics) {
      this.prom = new PromSampler(t.metrics.url, t.intervalMs, this.abs('server-metrics.jsonl'), this.keep)
      await this.prom.start()
    } else sayOnce(`${t.label} no server metrics: ${t.metrics.none}`)
    if (t.gpuIndexes.length > 0) {
      this.gpu = new NvidiaSmiSampler(t.gpuIndexes, t.intervalMs, this.abs('gpu.csv'), this.abs('nvidia-smi.log'), t.label)
      this.gpu.start()
    }
    const zones = t.gpuIndexes.length > 0 ? [] : raplZones(t.powercapRoot)
    if (t.pid !== undefined || zones.length > 0) {
      this.host = new HostSampler(t.pid, zones, t.intervalMs)
      this.host.start()
    }
  }

  private stopped: Promise<void> | undefined
  private results: { prom?: ServerSamplerResult; gpu?: GpuSamplerResult } | undefined

  /**
   * Stop every sampler (each is stopped even when another fails; a second call waits for the first). Async: call it
   * where the case can still await (its last request done); summarise() is synchronous for runners whose case end is not.
   */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      const [prom, gpu] = await Promise.allSettled([this.prom?.stop(), this.gpu?.stop()])
      this.host?.stop()
      this.results = { prom: prom.status === 'fulfilled' ? prom.value : undefined, gpu: gpu.status === 'fulfilled' ? gpu.value : undefined }
    })()
    return this.stopped
  }

  /** Stop, then summarise: for runners that can await at the end of a case. */
  async finish(summary: CaseSummary, phase: MeasuredPhase): Promise<CaseTelemetry> {
    await this.stop()
    return this.summarise(summary, phase)
  }

  /** The case's telemetry over its measured window (after stop()); warnings (counter mismatch) go into summary.warnings. */
  summarise(summary: CaseSummary, phase: MeasuredPhase): CaseTelemetry {
    if (!this.results) throw new Error('telemetry summarised before its samplers were stopped (call stop() first)')
    const { prom, gpu } = this.results
    const t = this.target
    const notes: string[] = []
    const t0 = phase.t0
    const startMs = phase.window?.startMs ?? 0
    const from = t0 + startMs
    const to = from + summary.wallMs
    // the registry's output tok/s is Σ output tokens of the ok requests / wall time: the same tokens, back as a count
    const outTokens = Math.round((summary.outputTokenThroughput * summary.wallMs) / 1000)

    const out: CaseTelemetry = {
      t0EpochMs: Number((performance.timeOrigin + t0).toFixed(1)),
      window: { startMs, endMs: startMs + summary.wallMs },
      intervalMs: t.intervalMs,
      server: 'url' in t.metrics ? { none: '' } : { none: t.metrics.none },
      powerSource: null,
      meanW: null,
      peakW: null,
      energyJ: null,
      jPerOutputToken: null,
      gpuUtilMeanPct: null,
      gpuMemPeakMib: null,
      cpuSeconds: null,
      costPerHour: t.costPerHour ?? null,
      usdPer1MOutputTokens: usdPerMillionTokens(t.costPerHour, summary.wallMs, outTokens),
      notes,
    }

    if (prom && 'url' in t.metrics) {
      const roles: Partial<Record<MetricRole, string>> = {}
      for (const role of METRIC_ROLES) {
        const name = (t.metrics.def.roles[role] ?? []).find((n) => prom.kept[n]?.some((r) => r.v !== null))
        if (name) roles[role] = name
      }
      out.server = { url: t.metrics.url, samples: prom.samples, file: join(this.folder, 'server-metrics.jsonl'), roles }
      if (prom.problem) notes.push(`server metrics: ${prom.problem}`)
      if (prom.samples === 0) out.server = { none: `no scrape of ${t.metrics.url} answered (${prom.problem ?? 'no samples'})` }
      const counter = roles.generatedTokens
      if (counter) {
        const rs = prom.kept[counter]
        const valid = rs.filter((r) => r.v !== null)
        // first scrape before the first request, last after the last: the delta covers every request of the case
        const serverDelta = valid.length >= 2 ? valid.at(-1)!.v! - valid[0].v! : null
        // sampling starts with the measured phase: its requests are the ones the counter saw (a capacity search's
        // summary shows one probe; the counter saw them all)
        const clientSeen = phase.sentOutputTokens ?? summary.outputTokensServerTotal
        if (serverDelta !== null && clientSeen > 0) {
          out.reconciliation = { counter, serverDelta, clientSeen, match: serverDelta === clientSeen }
          if (serverDelta !== clientSeen) {
            summary.warnings.push(
              `server counter ${counter} rose by ${serverDelta} during the measured phase, but its ok responses reported ${clientSeen} generated tokens: ` +
                `another client may be using this server, a failed request's tokens were counted by the server only, or one side miscounts`,
            )
          }
        }
      }
    }

    if (gpu) {
      out.gpuFile = join(this.folder, 'gpu.csv')
      if (gpu.problem) notes.push(`GPU telemetry: ${gpu.problem}`)
      this.gpuFigures(out, gpu, from, to, outTokens)
    }
    if (this.host) {
      const cpu = counterDelta(this.host.cpu, from, to)
      out.cpuSeconds = cpu
      if (t.pid !== undefined && cpu === null) notes.push(`CPU time: /proc/${t.pid}/stat was not readable`)
      if (!gpu && this.host.energy.length > 0) this.raplFigures(out, this.host.energy, from, to, outTokens)
    } else if (t.pid === undefined) notes.push('CPU time: n/a (external server: its process is not ours to read)')
    if (!gpu && out.powerSource === null) {
      notes.push(`energy: n/a (no GPU, and no readable RAPL package counter under ${t.powercapRoot ?? '/sys/class/powercap'})`)
    }
    return out
  }

  private gpuFigures(out: CaseTelemetry, gpu: GpuSamplerResult, from: number, to: number, outTokens: number): void {
    const per: GpuTelemetry[] = gpu.gpus.map((g) => {
      const pw = inWindow(g.power, from, to).map((r) => r.v)
      return {
        index: g.index,
        meanW: null,
        peakW: peak(pw),
        energyJ: integratePower(g.power, from, to),
        utilMeanPct: mean(inWindow(g.util, from, to).map((r) => r.v)),
        memPeakMib: peak(inWindow(g.mem, from, to).map((r) => r.v)),
      }
    })
    const seconds = (to - from) / 1000
    for (const p of per) p.meanW = p.energyJ === null || !(seconds > 0) ? null : p.energyJ / seconds
    out.gpus = per
    const all = <K extends keyof GpuTelemetry>(k: K) => (per.every((p) => p[k] !== null) ? per.map((p) => p[k] as number) : null)
    const energies = all('energyJ')
    if (energies) {
      out.powerSource = 'nvidia-smi'
      out.energyJ = energies.reduce((a, b) => a + b, 0)
      out.meanW = seconds > 0 ? out.energyJ / seconds : null
      out.jPerOutputToken = perToken(out.energyJ, outTokens)
      out.peakW = peakOfSums(
        gpu.gpus.map((g) => g.power),
        from,
        to,
      )
    } else out.notes.push('energy: n/a (nvidia-smi reported no power.draw for some GPU of this case)')
    const utils = per.map((p) => p.utilMeanPct).filter((v): v is number => v !== null)
    out.gpuUtilMeanPct = utils.length === per.length ? mean(utils) : null
    out.gpuMemPeakMib = peakOfSums(
      gpu.gpus.map((g) => g.mem),
      from,
      to,
    )
  }

  private raplFigures(out: CaseTelemetry, energy: Reading[], from: number, to: number, outTokens: number): void {
    const joules = counterDelta(energy, from, to)
    if (joules === null) return
    out.powerSource = 'rapl'
    out.energyJ = joules
    const seconds = (to - from) / 1000
    out.meanW = seconds > 0 ? joules / seconds : null
    out.jPerOutputToken = perToken(joules, outTokens)
    // peak: the highest average power between two consecutive readings inside the window
    const rs = energy.filter((r) => r.v !== null && r.t >= from && r.t <= to)
    const rates = rs
      .slice(1)
      .map((r, i) => ((r.v! - rs[i].v!) * 1000) / (r.t - rs[i].t))
      .filter((w) => Number.isFinite(w))
    out.peakW = peak(rates)
  }
}

/** Peak of the per-reading sum over GPUs (the i-th reading of each GPU came from one nvidia-smi interval). */
function peakOfSums(series: Reading[][], from: number, to: number): number | null {
  const n = Math.min(...series.map((s) => s.length))
  const sums: number[] = []
  for (let i = 0; i < n; i++) {
    const vs = series.map((s) => s[i])
    if (vs.some((r) => r.v === null)) continue
    const t = vs[0].t
    if (t < from || t > to) continue
    sums.push(vs.reduce((a, r) => a + r.v!, 0))
  }
  if (sums.length > 0) return peak(sums)
  // a window shorter than one interval: the readings in force when it began
  const held = series.map((s) => inWindow(s, from, to)[0]?.v)
  return held.every((v) => v !== undefined) ? held.reduce((a, b) => a! + b!, 0)! : null
}

export async function startCaseTelemetry(target: TelemetryTarget, ident: { file: string; fullName: string }): Promise<CaseTelemetryRun> {
  const run = new CaseTelemetryRun(target, ident)
  await run.start()
  return run
}
