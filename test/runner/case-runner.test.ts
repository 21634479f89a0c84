// The one case runner: sweep variants, load cases and plain cases all get the client-bound verdict and the case
// hooks. The client is made busy for real (synchronous work on its own event loop while the case runs), so the
// verdict must fire wherever the runner's self-calibration is wired in.
import { availableParallelism } from 'node:os'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getKnobs } from '../../env/index.ts'
import { onCaseEnd, onCaseStart, type CaseContext } from '../../helpers/case-hooks.ts'
import { runCase } from '../../helpers/case-runner.ts'
import { planLevels } from '../../helpers/load/plan.ts'
import { runLoadCase } from '../../helpers/load/run-load.ts'
import { measureVariant } from '../../helpers/sweep.ts'
import { summarizeCase } from '../../helpers/metrics/case.ts'
import { windowThroughput } from '../../helpers/metrics/load.ts'
import type { CaseMeta, RequestRecord } from '../../helpers/types.ts'
import { simRef, useTempRunDir, type SimRef } from '../load/sim-ref.ts'

let s: SimRef
let runDir = ''
beforeAll(async () => {
  runDir = useTempRunDir()
  // ITL 2 ms × 20 tokens: E2E ≈ 50 ms, so a client that stalls 25 ms at a time is far past 10% of it
  s = await simRef({ ttftMs: 5, itlMs: 2, itlJitterMs: 0, tokensPerChunk: 1 })
})
afterAll(() => s?.close())

const ident = (name: string) => ({ caseName: name, fullName: `runner > ${name}`, file: 'case-runner.test.ts' })

/** Run `fn` while the client's own event loop is blocked for 25 ms out of every 30 (a client too busy to timestamp). */
async function whileBusy<T>(fn: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {
    const until = performance.now() + 25
    while (performance.now() < until) {
      // the client is busy
    }
  }, 5)
  try {
    return await fn()
  } finally {
    clearInterval(timer)
  }
}

function expectClientBound(meta: CaseMeta): void {
  const s = meta.summary
  expect(s.counts.requests).toBeGreaterThan(0)
  expect(s.clientHealth?.loopDelayP99Ms).toBeGreaterThan(10)
  expect(s.failures.filter((f) => f.code === 'client_bound' && f.message.startsWith('client-bound: results not trustworthy'))).toHaveLength(1)
}

describe('client-bound verdict on every case kind', () => {
  it('a sweep variant (base-as-is and an optimized candidate) is judged like every other case', async () => {
    const opts = { numPredict: 20, warmup: 1, requests: 6 }
    const base = await whileBusy(() => measureVariant(s.server, { ...opts, row: { variantLabel: 'base-as-is' } }, ident('ngl sweep [base-as-is]')))
    expectClientBound(base)
    // a candidate's own failures turn into warnings (a result of the sweep); the client-bound verdict does not
    const cand = await whileBusy(() => measureVariant(s.server, { ...opts, row: { variantLabel: 'optimized', numGpu: '4' } }, ident('ngl sweep [ngl=4]')))
    expectClientBound(cand)
  })

  it('a load case and a one-at-a-time case get the same verdict from the same runner', async () => {
    const opts = { concurrency: 4, requests: 12, warmup: 2, numPredict: 20 }
    const levels = planLevels(opts, getKnobs())!
    const load = await whileBusy(() => runLoadCase(s.server, opts, levels[0], ident('load [c=4]')))
    expectClientBound(load)
    expect(load.summary.load?.clientBound).toBe(true)
    expect(load.summary.load?.eventLoopDelay.p99Ms).toBe(load.summary.clientHealth?.loopDelayP99Ms)
    expectClientBound(await whileBusy(() => runCase(s.server, { numPredict: 20, warmup: 0, requests: 6 }, ident('plain'), 'sequential')))
  })
})

describe('case lifecycle hooks', () => {
  it('start and end hooks see the case ident, server and t0 for every kind; attached sections reach the summary', async () => {
    const seen: { start: CaseContext[]; end: { kind: string; requests: number; t0: number }[] } = { start: [], end: [] }
    const offStart = onCaseStart((ctx) => void seen.start.push(ctx))
    const offEnd = onCaseEnd(async (ctx, summary) => {
      await new Promise((r) => setTimeout(r, 1)) // an end hook may be asynchronous: the runner awaits it
      seen.end.push({ kind: ctx.kind, requests: summary.counts.requests, t0: ctx.t0 })
      ctx.attach('probe', { kind: ctx.kind, server: ctx.server.url })
    })
    const failing = onCaseEnd(function brokenHook() {
      throw new Error('sampler gone')
    })
    try {
      const before = performance.now()
      const sweepMeta = await measureVariant(s.server, { numPredict: 4, warmup: 1, requests: 2, row: { variantLabel: 'base-as-is' } }, ident('hooks sweep'))
      const opts = { concurrency: 2, requests: 4, warmup: 0, numPredict: 4 }
      const loadMeta = await runLoadCase(s.server, opts, planLevels(opts, getKnobs())![0], ident('hooks load'))
      expect(seen.start.map((c) => [c.kind, c.ident.fullName, c.server.url])).toEqual([
        ['sweep-variant', 'runner > hooks sweep', s.url],
        ['load', 'runner > hooks load', s.url],
      ])
      for (const c of seen.start) expect(c.t0).toBeGreaterThan(before)
      expect(seen.end.map((e) => [e.kind, e.requests])).toEqual([
        ['sweep-variant', 2],
        ['load', 4],
      ])
      // the simulator computes nothing: with a core to spare the measuring loop was kept turning (BENCH_BUSY_POLL auto)
      const poll = availableParallelism() > 1 ? { busyPoll: { processes: 1, why: expect.stringMatching(/^auto: /) } } : {}
      expect(sweepMeta.summary.sections).toEqual({ probe: { kind: 'sweep-variant', server: s.url }, ...poll })
      // a load case also reports its client's CPU per output token (summary.sections.client)
      expect(loadMeta.summary.sections).toEqual({
        probe: { kind: 'load', server: s.url },
        ...poll,
        client: { procs: 1, cpuS: expect.any(Number), outputTokens: expect.any(Number), cpuUsPerToken: expect.any(Number) },
      })
      expect(loadMeta.summary.warnings).toContain('case end hook brokenHook failed: sampler gone')
    } finally {
      offStart()
      offEnd()
      failing()
    }
  })
})

describe('bounded case state', () => {
  /** The measured records of one case as requests.jsonl holds them. */
  const recordsOf = (fullName: string) =>
    readFileSync(join(runDir, 'requests.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as RequestRecord & { case: string })
      .filter((r) => r.case === fullName)

  it('a load case folded request by request equals the summary of all its records; every request is in requests.jsonl', async () => {
    const opts = { concurrency: 4, requests: 40, warmup: 2, numPredict: 6 }
    const meta = await runLoadCase(s.server, opts, planLevels(opts, getKnobs())![0], ident('fold'))
    const recs = recordsOf('runner > fold')
    expect(recs.filter((r) => r.phase === 'run')).toHaveLength(40)
    expect(recs.filter((r) => r.phase === 'warmup')).toHaveLength(2)
    // the steady window, folded as requests ended (its end unknown until the first stream ran out), is exactly the
    // window computed afterwards over the kept records
    const st = meta.summary.load!.steadyState!
    const measured = recs.filter((r) => r.phase === 'run')
    expect(windowThroughput(measured, st.startMs, st.endMs, (r) => r.promptTokensServer ?? 0)).toEqual(st)
    // and the case metrics are those of the records summarised at once
    const again = summarizeCase({ caseName: 'fold', fullName: 'runner > fold', file: 'case-runner.test.ts', stack: 'sim', model: 'sim-model' }, recs)
    for (const k of ['counts', 'ttftMs', 'itlMs', 'tpotMs', 'e2eMs', 'queueMs', 'tokensPerSec', 'wallMs', 'outputTokenThroughput'] as const)
      expect(meta.summary[k], k).toEqual(again[k])
  })

  it('what the worker sends to the main process does not grow with the request count', async () => {
    const size = async (requests: number) => {
      const opts = { concurrency: 4, requests, warmup: 0, numPredict: 4 }
      return JSON.stringify(await runLoadCase(s.server, opts, planLevels(opts, getKnobs())![0], ident(`meta ${requests}`))).length
    }
    const small = await size(8)
    const large = await size(400)
    // a few digits more per number at most; no per-request list
    expect(large).toBeLessThan(small * 1.2)
  })
})
