// Timing fidelity: the client's TTFT and ITL against the simulator's ground truth (paced: TTFT 50 ms,
// ITL 10 ms, simulator in its own process) at 1/64/256 concurrent streams. Error = measured − true.
// Targets: p99 |error| ≤ 1 ms at 64 streams, ≤ 3 ms at 256. Each case also runs the self-calibration
// (event-loop delay, dispatch lag) and prints its verdict.
import { quantileSorted } from 'simple-statistics'
import { afterAll, beforeAll, describe } from 'vitest'
import { BusyPoll } from '../../helpers/load/busy-poll.ts'
import { clientBoundVerdict, EventLoopMonitor } from '../../helpers/metrics/client-health.ts'
import type { ProtocolClient } from '../../helpers/protocols/index.ts'
import type { StreamObservation } from '../../helpers/types.ts'
import { simRef, type SimRef } from '../../test/load/sim-ref.ts'
import { harnessBench } from './kit.ts'

interface ErrStats {
  n: number
  p50: number
  p99: number
  p99Abs: number
  maxAbs: number
}

interface FidelityResult {
  streams: number
  ttftErrMs: ErrStats
  /**
   * The TTFT error split by wall clock (performance.timeOrigin is shared by processes on one machine):
   * uplink = simulator received − client sent (the simulator's own intake delay is in here), downlink =
   * client read − simulator wrote (the client's part).
   */
  uplinkMs: ErrStats
  downlinkMs: ErrStats
  itlErrMs: ErrStats
  loopDelayP99Ms: number
  dispatchLagP99Ms: number
  /** The simulator's own lateness (actual write − intended time), p99: when large, "true" is not the plan. */
  simLagP99Ms: number
  /** Client CPU per output chunk (µs), user + system. */
  clientCpuUsPerChunk: number
  verdict: string
}

declare module 'vitest' {
  interface TaskMeta {
    harnessFidelity?: FidelityResult
    /** ITL error (ms) with the loop sleeping between chunks and kept turning (BENCH_BUSY_POLL), same case. */
    harnessBusyPoll?: { streams: number; sleeping: ErrStats; turning: ErrStats }
  }
}

const TTFT_MS = 50
const ITL_MS = 10
const TOKENS = 40
const STREAMS = [1, 64, 256]
let sim: SimRef
let client: ProtocolClient
const results: FidelityResult[] = []
let seq = 0

beforeAll(async () => {
  sim = await simRef({ ttftMs: TTFT_MS, itlMs: ITL_MS, perPromptTokenMs: 0, itlJitterMs: 0, maxSeqs: 1024, maxQueue: 4096 })
  client = sim.server.client('openai-completions')
}, 60_000)

afterAll(async () => {
  await sim?.close()
  if (pollRuns.sleeping.chunks > 0) pollTable()
  const f = (x: number) => x.toFixed(3).padStart(8)
  console.log(`\ntiming fidelity, error = measured − true (ms); simulator TTFT ${TTFT_MS} ms, ITL ${ITL_MS} ms, ${TOKENS} tokens/request`)
  console.log(
    'streams  TTFT p50   TTFT p99  |TTFT| p99  uplink p50  downlink p50  downlink p99   ITL p50    ITL p99  |ITL| p99  |ITL| max   loop p99   lag p99  sim lag p99  cpu µs/chunk  verdict',
  )
  for (const r of results) {
    const t = r.ttftErrMs
    const i = r.itlErrMs
    console.log(
      `${String(r.streams).padStart(7)} ${f(t.p50)}   ${f(t.p99)}   ${f(t.p99Abs)}    ${f(r.uplinkMs.p50)}      ${f(r.downlinkMs.p50)}      ${f(r.downlinkMs.p99)}  ${f(i.p50)}   ${f(i.p99)}  ${f(i.p99Abs)}  ${f(i.maxAbs)}   ${f(r.loopDelayP99Ms)}  ${f(r.dispatchLagP99Ms)}     ${f(r.simLagP99Ms)}      ${f(r.clientCpuUsPerChunk)}  ${r.verdict}`,
    )
  }
})

function stats(xs: number[]): ErrStats {
  if (xs.length === 0) return { n: 0, p50: NaN, p99: NaN, p99Abs: NaN, maxAbs: NaN }
  const s = [...xs].sort((a, b) => a - b)
  const abs = xs.map(Math.abs).sort((a, b) => a - b)
  return { n: xs.length, p50: quantileSorted(s, 0.5), p99: quantileSorted(s, 0.99), p99Abs: quantileSorted(abs, 0.99), maxAbs: abs.at(-1)! }
}

const p = (xs: number[], q: number) =>
  xs.length
    ? quantileSorted(
        [...xs].sort((a, b) => a - b),
        q,
      )
    : 0

/** One round: `streams` requests released together; errors against the simulator's truth. */
interface Acc {
  ttft: number[]
  up: number[]
  down: number[]
  itl: number[]
  lag: number[]
  ttftMeasured: number[]
  simLag: number[]
  cpuUs: number
  chunks: number
}

const newAcc = (): Acc => ({ ttft: [], up: [], down: [], itl: [], lag: [], ttftMeasured: [], simLag: [], cpuUs: 0, chunks: 0 })

async function round(streams: number, acc: Acc): Promise<void> {
  const ids = Array.from({ length: streams }, () => `fid-${seq++}`)
  const tDue = performance.now()
  const cpu0 = process.cpuUsage()
  const observations: StreamObservation[] = await Promise.all(
    ids.map((requestId) => client.generate({ prompt: 'x', maxTokens: TOKENS, temperature: 0, ignoreEos: true, timeoutMs: 30_000, requestId })),
  )
  const cpu = process.cpuUsage(cpu0)
  acc.cpuUs += cpu.user + cpu.system
  for (let k = 0; k < streams; k++) {
    const obs = observations[k]!
    if (obs.outcome !== 'ok') throw new Error(`fidelity bench: request ${ids[k]} ended ${obs.outcome}: ${obs.error}`)
    const truth = await sim.truth(ids[k]!)
    if (!truth || truth.chunkTimes.length !== obs.chunkTimes.length)
      throw new Error(`fidelity bench: ${ids[k]}: client saw ${obs.chunkTimes.length} chunks, simulator sent ${truth?.chunkTimes.length}`)
    const measuredTtft = obs.chunkTimes[0]! - obs.tSend
    acc.ttft.push(measuredTtft - (truth.chunkTimes[0]! - truth.tReceived))
    acc.ttftMeasured.push(measuredTtft)
    acc.up.push(truth.tReceived - (performance.timeOrigin + obs.tSend))
    acc.down.push(performance.timeOrigin + obs.chunkTimes[0]! - truth.chunkTimes[0]!)
    acc.lag.push(obs.tSend - tDue)
    acc.chunks += obs.chunkTimes.length
    truth.chunkTargets?.forEach((target, i) => acc.simLag.push(truth.chunkTimes[i]! - target))
    for (let i = 1; i < obs.chunkTimes.length; i++) {
      acc.itl.push(obs.chunkTimes[i]! - obs.chunkTimes[i - 1]! - (truth.chunkTimes[i]! - truth.chunkTimes[i - 1]!))
    }
  }
}

// BENCH_BUSY_POLL (helpers/load/busy-poll.ts): the same 16 streams (the peers' `truth` scenario) with this process's
// loop sleeping between chunks and kept turning, in alternating rounds of one case so both meet the same machine.
const POLL_STREAMS = 16
const pollRuns: Record<'sleeping' | 'turning', Acc> = { sleeping: newAcc(), turning: newAcc() }

function pollTable(): void {
  const f = (x: number) => x.toFixed(3).padStart(9)
  console.log(`\nbusy poll, ${POLL_STREAMS} streams, error = measured − true (ms), alternating rounds`)
  console.log('loop        ITL p50    ITL p99  |ITL| p99  |ITL| max  |TTFT| p99  downlink p99  cpu µs/chunk')
  for (const [name, a] of Object.entries(pollRuns)) {
    const i = stats(a.itl)
    console.log(
      `${name.padEnd(9)} ${f(i.p50)}  ${f(i.p99)}  ${f(i.p99Abs)}  ${f(i.maxAbs)}  ${f(stats(a.ttft).p99Abs)}     ${f(stats(a.down).p99)}     ${f(a.cpuUs / Math.max(1, a.chunks))}`,
    )
  }
}

describe('harness timing fidelity', () => {
  harnessBench(
    `openai-completions, ${POLL_STREAMS} streams, loop sleeping vs kept turning`,
    async (phase) => {
      const poll = new BusyPoll()
      for (const turning of [false, true, true, false, false, true, true, false]) {
        if (turning) poll.start()
        try {
          await round(POLL_STREAMS, phase === 'warmup' ? newAcc() : pollRuns[turning ? 'turning' : 'sleeping'])
        } finally {
          poll.stop()
        }
      }
    },
    (_, meta) => {
      if (meta) meta.harnessBusyPoll = { streams: POLL_STREAMS, sleeping: stats(pollRuns.sleeping.itl), turning: stats(pollRuns.turning.itl) }
    },
  )

  for (const streams of STREAMS) {
    const acc = newAcc()
    const monitor = new EventLoopMonitor()
    let loopP99 = 0
    harnessBench(
      `openai-completions, ${streams} streams`,
      async (phase) => {
        if (phase === 'warmup') return round(streams, newAcc())
        monitor.start()
        await round(streams, acc)
        loopP99 = Math.max(loopP99, monitor.stop().p99Ms)
      },
      (_, meta) => {
        const lagP99 = p(acc.lag, 0.99)
        const v = clientBoundVerdict({ loopDelayP99Ms: loopP99, dispatchLagP99Ms: lagP99, ttftP50Ms: p(acc.ttftMeasured, 0.5), itlP50Ms: ITL_MS })
        const result: FidelityResult = {
          streams,
          ttftErrMs: stats(acc.ttft),
          uplinkMs: stats(acc.up),
          downlinkMs: stats(acc.down),
          itlErrMs: stats(acc.itl),
          loopDelayP99Ms: loopP99,
          dispatchLagP99Ms: lagP99,
          simLagP99Ms: p(acc.simLag, 0.99),
          clientCpuUsPerChunk: acc.cpuUs / Math.max(1, acc.chunks),
          verdict: v.clientBound ? (v.reason ?? 'client-bound') : 'ok',
        }
        const i = results.findIndex((r) => r.streams === streams)
        if (i >= 0) results[i] = result
        else results.push(result)
        if (meta) meta.harnessFidelity = result
      },
    )
  }
})
