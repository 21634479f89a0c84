// Fault #9: SIGINT/SIGTERM mid-case to vitest alone and to its whole process group. No server may be left,
// and the case that was running must be flushed: its bench.csv row, a summary.json entry marked incomplete,
// and every request it sent still in requests.jsonl (valid JSON lines).
import { describe, expect, it } from 'vitest'
import { waitFor } from '../support/procs.ts'
import { onlyRunDir } from '../support/run-bench.ts'
import { csvLines, finish, records, scratch, startFault, summary, waitPidsGone, workersOf } from './support.ts'

const { model } = scratch()

describe.concurrent('#9 interrupted mid-run', () => {
  for (const [sig, group] of [
    ['SIGTERM', false],
    ['SIGINT', false],
    ['SIGTERM', true],
    ['SIGINT', true],
  ] as const) {
    it(`${sig} to ${group ? 'the process group' : 'the vitest process alone'}: no server left, partial case flushed and marked incomplete`, async () => {
      const run = await startFault('one-case', { FAULT_MODEL: model, BENCH_REQUESTS: '100000', FAULT_SIM_ARGS: '--itl-ms 2' }, { detached: group })
      let dir = ''
      await waitFor(
        () => {
          try {
            dir = onlyRunDir(run.resultsDir)
            return records(dir).length >= 3
          } catch {
            return false
          }
        },
        'three measured requests',
        60_000,
      )
      const workers = await workersOf(run)
      expect(workers.length).toBeGreaterThan(0)
      if (group) process.kill(-run.child.pid!, sig)
      else run.child.kill(sig)
      const r = await finish(run)
      expect(r.leftovers).toEqual([])
      expect(await waitPidsGone(workers)).toEqual([]) // the worker itself stops too, not just its server
      const sent = records(dir) // throws on a corrupt line
      expect(sent.length).toBeGreaterThanOrEqual(3)
      const lines = csvLines(dir)
      expect(lines).toHaveLength(2)
      expect(lines[1]).toContain('base-as-is')
      const s = summary(dir)
      expect(s.incomplete).toBe(true)
      expect(s.cases).toHaveLength(1)
      expect(s.cases[0].summary.incomplete).toBe(true)
      expect(s.cases[0].summary.warnings.join(' ')).toMatch(/incomplete: the run was interrupted/)
      // rows lost: none — the summary counts exactly the requests on disk
      expect(s.cases[0].summary.counts.requests).toBe(sent.filter((x) => x.phase === 'run').length)
    })
  }
})
