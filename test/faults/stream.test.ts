// Faults #5–#8: the server misbehaves while answering. Every request is still recorded (with its failure
// kind, status and body excerpt), the case still gets its CSV row, the run fails naming the case, no server is left.
import { describe, expect, it } from 'vitest'
import { csvLines, finish, records, runFault, scratch, startFault, summary, waitGone, pidsMatching, type FaultResult } from './support.ts'
import { waitFor } from '../support/procs.ts'
import { onlyRunDir } from '../support/run-bench.ts'

const { model } = scratch()

/** What every failing stream run must show: exit 1, a FAIL line for the case, the row kept, nothing left running. */
function expectCaseFailedButKept(r: FaultResult, requests: number): void {
  expect(r.exitCode, r.output).toBe(1)
  expect(r.output).toMatch(/^FAIL .*fault case: /m)
  expect(r.leftovers).toEqual([])
  const recs = records(r.runDir!).filter((x) => x.phase === 'run')
  expect(recs).toHaveLength(requests)
  const lines = csvLines(r.runDir!)
  expect(lines).toHaveLength(2) // header + the case's row
  const c = summary(r.runDir!).cases
  expect(c).toHaveLength(1)
  expect(c[0].summary.counts.requests).toBe(requests)
}

async function streamFault(simArgs: string, env: Record<string, string> = {}): Promise<FaultResult> {
  return runFault('one-case', { FAULT_MODEL: model, FAULT_SIM_ARGS: simArgs, ...env })
}

describe.concurrent('faults while streaming', () => {
  it('#5 server closes the connection mid-stream: recorded as disconnect with the tokens it got', async () => {
    const r = await streamFault('--fault-disconnect-after 3')
    expectCaseFailedButKept(r, 3)
    for (const rec of records(r.runDir!)) {
      expect(rec.outcome).toBe('disconnect')
      expect(rec.outputTokens).toBe(3)
    }
    expect(summary(r.runDir!).cases[0].summary.counts.byOutcome).toEqual({ disconnect: 3 })
  })

  it('#5 server process killed mid-run: the in-flight and later requests are recorded as failed, the case is reported', async () => {
    const run = await startFault('one-case', { FAULT_MODEL: model, FAULT_SIM_ARGS: '--itl-ms 40', FAULT_NUM_PREDICT: '16', BENCH_REQUESTS: '6' })
    await waitFor(
      () => {
        try {
          return records(onlyRunDir(run.resultsDir)).length >= 2
        } catch {
          return false // no run folder yet
        }
      },
      'two measured requests',
      60_000,
    )
    const server = await pidsMatching(`--port ${run.port}`)
    expect(server.length).toBe(1)
    process.kill(server[0], 'SIGKILL')
    const r = await finish(run)
    expectCaseFailedButKept(r, 6)
    const recs = records(r.runDir!)
    expect(recs.filter((x) => x.outcome === 'ok').length).toBeGreaterThanOrEqual(2)
    // after the kill every request fails fast, none hangs the run
    expect(recs.at(-1)!.outcome).toBe('connect_error')
    const s = summary(r.runDir!).cases[0].summary
    expect(s.counts.ok + s.counts.failed).toBe(6)
    expect(await waitGone(`--port ${run.port}`, 1000)).toEqual([])
  })

  it('#6 stream stalls: the per-request timeout (TIMEOUT_GEN) fires and the request is recorded as a timeout', async () => {
    // 200 tokens at 20 ms could never finish before the stall, however slow this machine is
    const r = await streamFault('--fault-stall-after-ms 50 --itl-ms 20', { TIMEOUT_GEN: '1', BENCH_REQUESTS: '2', FAULT_NUM_PREDICT: '200' })
    expectCaseFailedButKept(r, 2)
    for (const rec of records(r.runDir!)) {
      expect(rec.outcome).toBe('timeout')
      expect(rec.error).toMatch(/within 1000 ms \(request deadline; raise TIMEOUT_GEN or lower BENCH_NUM_PREDICT\)/)
      expect(rec.outputTokens).toBeGreaterThan(0) // what arrived before the stall is kept
    }
  })

  for (const [name, args, outcome] of [
    ['#7 malformed SSE line', '--fault-malformed-line-at 2', 'protocol_error'],
    ['#7 truncated JSON event', '--fault-truncated-json-at 2', 'protocol_error'],
    ['#7 wrong content-type', '--fault-wrong-content-type', 'protocol_error'],
  ] as const) {
    it(`${name}: recorded as ${outcome} with the reason`, async () => {
      const r = await streamFault(args)
      expectCaseFailedButKept(r, 3)
      for (const rec of records(r.runDir!)) {
        expect(rec.outcome).toBe(outcome)
        expect(rec.error).toBeTruthy()
      }
    })
  }

  for (const status of [429, 500, 404]) {
    it(`#8 HTTP ${status} with a body: recorded with the status and an excerpt of the body`, async () => {
      const r = await streamFault(`--fault-status ${status} --fault-status-body server_says_no_${status}`)
      expectCaseFailedButKept(r, 3)
      for (const rec of records(r.runDir!)) {
        expect(rec.outcome).toBe('http_error')
        expect(rec.httpStatus).toBe(status)
        expect(rec.bodyExcerpt).toContain(`server_says_no_${status}`)
        expect(rec.ttftMs).toBeNull() // never averaged into latency
      }
    })
  }
})
