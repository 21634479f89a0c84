// CPU-side telemetry for hosts without a GPU: the server process's CPU time (/proc/<pid>/stat) and the CPU
// package energy counters of Intel/AMD RAPL (/sys/class/powercap/*/energy_uj), where the kernel lets us read them.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Linux USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on every mainstream kernel build). */
export const CLOCK_TICKS_PER_SEC = 100

/** utime + stime + cutime + cstime of a process, in seconds; undefined when it is gone or this is not Linux. */
export function processCpuSeconds(pid: number, proc = '/proc'): number | undefined {
  let text: string
  try {
    text = readFileSync(join(proc, String(pid), 'stat'), 'utf8')
  } catch {
    return undefined
  }
  // the command name (field 2) is in parentheses and may contain spaces: count fields after its closing ')'
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // fields 14–17 of the file are rest[11..14] (rest starts at field 3)
  const ticks = [11, 12, 13, 14].map((i) => Number(rest[i]))
  if (ticks.some((v) => !Number.isFinite(v))) return undefined
  return ticks.reduce((a, b) => a + b, 0) / CLOCK_TICKS_PER_SEC
}

export interface RaplZone {
  name: string
  path: string
  /** The counter wraps at this value (µJ). */
  maxUj: number
}

/**
 * Top-level package zones (`intel-rapl:0`, `intel-rapl:1`, AMD's too) whose energy_uj this process can read.
 * Sub-zones (core, uncore, dram: `intel-rapl:0:0`) are inside the package figure and are left out.
 * Returns [] where powercap is absent or energy_uj is root-only (the default since Linux 5.10).
 */
export function raplZones(root = '/sys/class/powercap'): RaplZone[] {
  if (!existsSync(root)) return []
  const zones: RaplZone[] = []
  for (const entry of readdirSync(root).sort()) {
    if (!/^[a-z-]+rapl:\d+$/.test(entry)) continue
    const dir = join(root, entry)
    try {
      const name = readFileSync(join(dir, 'name'), 'utf8').trim()
      if (!name.startsWith('package')) continue
      readFileSync(join(dir, 'energy_uj'), 'utf8')
      const maxUj = Number(readFileSync(join(dir, 'max_energy_range_uj'), 'utf8').trim())
      zones.push({ name: `${entry} ${name}`, path: join(dir, 'energy_uj'), maxUj: Number.isFinite(maxUj) && maxUj > 0 ? maxUj : Number.POSITIVE_INFINITY })
    } catch {
      // unreadable zone (permissions): not usable
    }
  }
  return zones
}

/** Current energy counter of each zone in µJ (undefined for a zone that stopped being readable). */
export function readRapl(zones: readonly RaplZone[]): (number | undefined)[] {
  return zones.map((z) => {
    try {
      const v = Number(readFileSync(z.path, 'utf8').trim())
      return Number.isFinite(v) ? v : undefined
    } catch {
      return undefined
    }
  })
}

/** Joules between two readings of one zone, across one counter wrap. */
export function raplJoules(beforeUj: number, afterUj: number, maxUj: number): number {
  const d = afterUj >= beforeUj ? afterUj - beforeUj : maxUj - beforeUj + afterUj
  return d / 1e6
}

/**
 * Reads the server's CPU time and the RAPL package counters every interval, so both can be read at the edges of the
 * measured window afterwards (counterDelta) rather than over the whole case with its warmup.
 */
export class HostSampler {
  readonly cpu: { t: number; v: number | null }[] = []
  /** Package energy since the first reading, in J, summed over zones and unwrapped. */
  readonly energy: { t: number; v: number | null }[] = []
  private timer: NodeJS.Timeout | undefined
  private last: (number | undefined)[] = []
  private joules = 0

  constructor(
    private readonly pid: number | undefined,
    private readonly zones: readonly RaplZone[],
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.last = readRapl(this.zones)
    this.read()
    this.timer = setInterval(() => this.read(), this.intervalMs)
    this.timer.unref()
  }

  private read(): void {
    const t = performance.now()
    if (this.pid !== undefined) this.cpu.push({ t, v: processCpuSeconds(this.pid) ?? null })
    if (this.zones.length === 0) return
    const now = readRapl(this.zones)
    let ok = true
    now.forEach((uj, i) => {
      const before = this.last[i]
      if (uj === undefined || before === undefined) ok = false
      else this.joules += raplJoules(before, uj, this.zones[i].maxUj)
    })
    this.last = now
    this.energy.push({ t, v: ok ? this.joules : null })
  }

  stop(): void {
    clearInterval(this.timer)
    this.read()
  }
}
