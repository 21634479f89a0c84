// GPU telemetry of one case: ONE `nvidia-smi --query-gpu=… -lms <interval>` child for the case's GPUs (not a spawn
// per sample), started with the case and stopped with it. Each line is timestamped as it arrives and appended to
// the case's gpu.csv in the run folder; the readings stay in memory only as numbers per GPU.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { startProcess, type ManagedProcess } from '../../fixtures/process.ts'
import type { Reading } from './energy.ts'

export const GPU_FIELDS = ['power.draw', 'utilization.gpu', 'memory.used', 'clocks.sm', 'temperature.gpu'] as const
export const GPU_CSV_HEADER = 'epoch_ms,gpu_index,power_w,util_pct,mem_mib,sm_mhz,temp_c'

export function nvidiaSmiArgs(indexes: readonly number[], intervalMs: number): string[] {
  return [`--query-gpu=${GPU_FIELDS.join(',')}`, '--format=csv,noheader,nounits', '-lms', String(intervalMs), '-i', indexes.join(',')]
}

export interface GpuLine {
  powerW: number | null
  utilPct: number | null
  memMib: number | null
  smMhz: number | null
  tempC: number | null
}

/** One line of the query; '[N/A]' / '[Not Supported]' fields are null. undefined when the line is not a reading. */
export function parseGpuLine(line: string): GpuLine | undefined {
  const f = line.split(',').map((x) => x.trim())
  if (f.length !== GPU_FIELDS.length) return undefined
  const nums = f.map((x) => (x === '' || x.startsWith('[') ? null : Number(x)))
  if (nums.some((v) => v !== null && !Number.isFinite(v))) return undefined
  if (nums.every((v) => v === null)) return undefined
  const [powerW, utilPct, memMib, smMhz, tempC] = nums
  return { powerW, utilPct, memMib, smMhz, tempC }
}

export interface GpuSeries {
  index: number
  power: Reading[]
  util: Reading[]
  mem: Reading[]
}

export interface GpuSamplerResult {
  gpus: GpuSeries[]
  /** Readings per GPU (lines / GPUs). */
  samples: number
  /** Why readings are missing or partial (nvidia-smi failed, exited early, unparseable output). */
  problem?: string
}

/** Readings of several GPUs arrive as one line per GPU per interval, in the order of `-i`. */
export class NvidiaSmiSampler {
  private proc: ManagedProcess | undefined
  private lines = 0
  private bad: string | undefined
  private readonly series: GpuSeries[]
  private readonly order: number[]

  constructor(
    indexes: readonly number[],
    private readonly intervalMs: number,
    private readonly csvPath: string,
    private readonly logPath: string,
    private readonly label: string,
  ) {
    // nvidia-smi -i prints the selected GPUs in index order whatever order the list was given in
    this.order = [...indexes].sort((a, b) => a - b)
    this.series = this.order.map((index) => ({ index, power: [], util: [], mem: [] }))
  }

  start(): void {
    mkdirSync(dirname(this.csvPath), { recursive: true })
    writeFileSync(this.csvPath, `${GPU_CSV_HEADER}\n`)
    this.proc = startProcess({
      file: 'nvidia-smi',
      args: nvidiaSmiArgs(this.order, this.intervalMs),
      logPath: this.logPath,
      label: `${this.label} nvidia-smi`,
      onStdoutLine: (line) => this.onLine(line),
    })
  }

  private onLine(line: string): void {
    const t = performance.now()
    const g = parseGpuLine(line)
    if (!g) {
      if (line.trim() !== '') this.bad ??= `unexpected nvidia-smi output line '${line.slice(0, 120)}'`
      return
    }
    const s = this.series[this.lines % this.series.length]
    this.lines++
    s.power.push({ t, v: g.powerW })
    s.util.push({ t, v: g.utilPct })
    s.mem.push({ t, v: g.memMib })
    const epochMs = (performance.timeOrigin + t).toFixed(1)
    const cell = (v: number | null) => (v === null ? '' : String(v))
    try {
      appendFileSync(this.csvPath, `${epochMs},${s.index},${cell(g.powerW)},${cell(g.utilPct)},${cell(g.memMib)},${cell(g.smMhz)},${cell(g.tempC)}\n`)
    } catch {
      // the readings stay in memory; an unwritable run folder is reported by the reporter
    }
  }

  async stop(): Promise<GpuSamplerResult> {
    const proc = this.proc
    this.proc = undefined
    const early = proc?.exitInfo()
    await proc?.stop(2000)
    const samples = Math.floor(this.lines / Math.max(1, this.series.length))
    let problem = this.bad
    if (proc && early) {
      const why = early.spawnError ?? `exited with ${early.signal ?? `code ${early.code}`}`
      const tail = proc.tail(3).trim()
      problem = `nvidia-smi ${why} during the case after ${samples} reading(s)${tail && tail !== '(no log written)' ? `: ${tail.replace(/\n/g, ' | ')}` : ''} (command: ${proc.commandLine()})`
    } else if (samples === 0) {
      problem ??= `nvidia-smi gave no reading during the case (command: ${proc?.commandLine() ?? 'not started'})`
    }
    return { gpus: this.series, samples, ...(problem ? { problem } : {}) }
  }
}
