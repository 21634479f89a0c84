// What the harness benches share (beside sim-process.ts / test/load/sim-ref.ts's simRef, the simulator in its own
// process): the zero-delay simulator settings, the product-path case
// (one llmBench load case, as llmBench runs it), peak-RSS sampling, and the measured-bench wrapper that keeps a
// row per case (warmup iterations ignored, a failure named before tinybench swallows it, numbers in task.meta).
// ingest, fidelity, product-path, memory and profile-product-path all build on it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { quantileSorted } from 'simple-statistics'
import { afterAll, beforeAll, bench, type TaskMeta, TestRunner } from 'vitest'
import { getKnobs } from '../../env/index.ts'
import type { ServerRef } from '../../fixtures/server.ts'
import type { CaseIdent } from '../../helpers/case-hooks.ts'
import { planLevels } from '../../helpers/load/plan.ts'
import { runLoadCase } from '../../helpers/load/run-load.ts'
import type { CaseMeta } from '../../helpers/types.ts'
import { simRef, type SimRef } from '../../test/load/sim-ref.ts'
import type { SimSettings } from './sim-process.ts'

/** Zero-delay simulator: each response body precomputed and written in one go, one token per SSE event (vLLM's /v1/completions shape). */
export const ZERO_DELAY: SimSettings = { precompute: true, ttftMs: 0, perPromptTokenMs: 0, itlMs: 0, itlJitterMs: 0, maxSeqs: 1024, maxQueue: 4096 }

/**
 * The zero-delay simulator of one harness bench file, in its own process: started before the file's benches with a
 * temporary run folder (FUZE_RUN_DIR: the records the product path writes), stopped and removed after them, then
 * `report()` prints the file's table.
 */
export function zeroDelaySim(name: string, report: () => void): { readonly sim: SimRef; readonly dir: string } {
  let sim: SimRef | undefined
  let dir = ''
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `fuze-${name}-`))
    process.env.FUZE_RUN_DIR = dir
    sim = await simRef(ZERO_DELAY)
  }, 60_000)
  afterAll(async () => {
    await sim?.close()
    rmSync(dir, { recursive: true, force: true })
    report()
  })
  return {
    get sim() {
      if (!sim) throw new Error(`${name}: the simulator is not started (zeroDelaySim's beforeAll has not run)`)
      return sim
    },
    get dir() {
      return dir
    },
  }
}

export const median = (xs: readonly number[]) =>
  xs.length
    ? quantileSorted(
        [...xs].sort((a, b) => a - b),
        0.5,
      )
    : Number.NaN

export const fmtInt = (x: number) => Math.round(x).toLocaleString('en-US')

/**
 * One llmBench load case (warmup 0): the whole product path, at `streams` closed-loop streams, or with `rate`
 * requests/s arriving at constant intervals (open loop, at most `streams` in flight).
 */
export function productPathCase(
  server: ServerRef,
  o: { streams: number; requests: number; tokens: number; rate?: number },
  ident: CaseIdent,
): Promise<CaseMeta> {
  const opts = {
    ...(o.rate !== undefined ? { rate: o.rate, arrival: 'constant' as const, maxConcurrency: o.streams } : { concurrency: o.streams }),
    requests: o.requests,
    warmup: 0,
    numPredict: o.tokens,
  }
  // one stream is not a load case for planLevels (llmBench runs it sequentially): the same closed loop, by hand
  const level = planLevels(opts, getKnobs())?.[0] ?? {
    suffix: '',
    shape: { mode: 'closed' as const, concurrency: o.streams },
    bounds: { count: o.requests },
    trials: 1,
  }
  return runLoadCase(server, opts, level, ident)
}

/**
 * Peak RSS of this process while started. On Linux the kernel's own high-water mark (VmHWM, reset at start through
 * /proc/self/clear_refs) is read at every sample, so the peak is the true one, not the highest of the samples: a
 * sampled maximum of a heap that rises and falls with every collection grows with the number of samples, and made
 * a 10× longer run look bigger by itself. Elsewhere the samples of process RSS are the peak. `onSample` sees each
 * sample (MB).
 */
export class RssSampler {
  peakBytes = 0
  private timer: NodeJS.Timeout | undefined
  private kernelPeak = false
  constructor(
    private readonly everyMs = 20,
    private readonly onSample?: (rssMb: number) => void,
  ) {}

  sample(): number {
    const rss = process.memoryUsage.rss()
    this.peakBytes = Math.max(this.peakBytes, rss, this.kernelPeak ? (vmHwmBytes() ?? 0) : 0)
    return rss / 2 ** 20
  }

  start(): this {
    this.kernelPeak = resetVmHwm()
    this.sample()
    this.timer = setInterval(() => {
      const mb = this.sample()
      this.onSample?.(mb)
    }, this.everyMs)
    return this
  }

  /** Stops sampling; the peak in MB (including one last sample). */
  stop(): number {
    clearInterval(this.timer)
    this.sample()
    return this.peakMb
  }

  get peakMb(): number {
    return this.peakBytes / 2 ** 20
  }
}

/** Resets this process's VmHWM to its current RSS (Linux ≥ 4.0); false where that is not possible. */
function resetVmHwm(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5')
    return vmHwmBytes() !== undefined
  } catch {
    return false
  }
}

function vmHwmBytes(): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
    return m ? Number(m[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

/** Peak RSS while `fn` runs, in MB. */
export async function withPeakRss<T>(fn: () => Promise<T>, everyMs = 20): Promise<{ value: T; peakMb: number }> {
  const s = new RssSampler(everyMs).start()
  try {
    const value = await fn()
    return { value, peakMb: s.stop() }
  } finally {
    s.stop()
  }
}

/** Exactly `iterations` measured calls after `warmupIterations` (docs/design.md, exact run counts). */
export const ITERATIONS = { iterations: 3, time: 0, warmupIterations: 1, warmupTime: 0 }

/**
 * A harness bench: `fn(phase)` runs every iteration; `onRun(value, meta)` sees the measured ones only (warmups are dropped)
 * with the task's meta to attach numbers to. A failing `fn` is printed with `label` first — tinybench reports a
 * throwing bench as passed with 0 samples.
 */
export function harnessBench<T>(
  label: string,
  fn: (phase: 'warmup' | 'run') => Promise<T>,
  onRun: (value: T, meta: TaskMeta | undefined) => void,
  opts = ITERATIONS,
): void {
  let phase: 'warmup' | 'run' = 'run'
  let meta: TaskMeta | undefined
  bench(
    label,
    async () => {
      const value = await fn(phase).catch((e: unknown) => {
        console.error(`harness bench "${label}" failed: ${(e as Error).message}`)
        throw e
      })
      if (phase === 'run') onRun(value, meta)
    },
    { ...opts, setup: (_t, mode) => void (phase = mode === 'warmup' ? 'warmup' : 'run') },
  )
  const task = TestRunner.getCurrentSuite().tasks.at(-1)
  meta = task && 'meta' in task ? task.meta : undefined
}

let driven = 0

/**
 * `requests` requests through `streams` concurrent workers; `one(requestId)` returns the tokens it read. Tokens, wall
 * ms and the client's own CPU seconds (user + system); throws unless exactly `expectTokens` were read (none lost).
 */
export async function drive(
  streams: number,
  requests: number,
  expectTokens: number,
  one: (requestId: string) => Promise<number>,
): Promise<{ tokens: number; ms: number; cpuS: number }> {
  let next = 0
  let tokens = 0
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: streams }, async () => {
      while (next++ < requests) {
        // not `tokens += await …`: that reads `tokens` before the await and loses the other workers' counts
        const n = await one(`drive-${driven++}`)
        tokens += n
      }
    }),
  )
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  if (tokens !== expectTokens) throw new Error(`read ${tokens} tokens, expected ${expectTokens}: the client lost tokens`)
  return { tokens, ms, cpuS: (cpu.user + cpu.system) / 1e6 }
}
