// requests.jsonl is streamed when a run folder is loaded, and a long case is kept as a bounded uniform sample:
// the main process's memory does not grow with the number of requests a run sent.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { allRequests, loadRun, MAX_REQUESTS_PER_CASE } from '../../reporters/run-data.ts'

const line = (caseName: string, i: number, phase = 'run') =>
  JSON.stringify({ file: 'f.bench.ts', case: caseName, id: `${caseName}-${i}`, caseName, phase, outcome: 'ok', tStartMs: i, ttftMs: i % 100, itlMs: [1, 2] })

describe('loadRun on a large requests.jsonl', () => {
  it('keeps every request of a small case in file order, a uniform sample of a large one, and says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuze-rundata-'))
    writeFileSync(join(dir, 'summary.json'), JSON.stringify({ runId: 'r', host: 'h', startedAt: '', finishedAt: '', incomplete: false, cases: [] }))
    const big = MAX_REQUESTS_PER_CASE * 3
    const lines = [line('small', 0, 'warmup')]
    for (let i = 0; i < big; i++) {
      lines.push(line('big', i))
      if (i % 5000 === 0) lines.push(line('small', i))
    }
    lines.splice(7, 0, '{"truncated')
    // cut short after a head that reads fine (the byte scan must not count it), and a line of an older shape (no file/case head)
    lines.splice(9, 0, '{"file":"f.bench.ts","case":"big","id":"cut","caseName":"big","phase":"run","outcome":"o')
    lines.splice(11, 0, JSON.stringify({ id: 'old-0', caseName: 'old', phase: 'run', outcome: 'ok', tStartMs: 1 }))
    writeFileSync(join(dir, 'requests.jsonl'), `${lines.join('\n')}\n`)
    const run = loadRun(dir)
    const small = allRequests(run).filter((r) => r.caseName === 'small')
    expect(small.map((r) => r.tStartMs)).toEqual(Array.from({ length: big / 5000 }, (_, k) => k * 5000))
    const kept = allRequests(run).filter((r) => r.caseName === 'big')
    expect(kept).toHaveLength(MAX_REQUESTS_PER_CASE)
    // file order, and spread over the whole case (uniform): mean position ≈ the middle
    expect(kept.every((r, i) => i === 0 || r.tStartMs > kept[i - 1].tStartMs)).toBe(true)
    const mean = kept.reduce((a, r) => a + r.tStartMs, 0) / kept.length
    expect(Math.abs(mean / (big / 2) - 1)).toBeLessThan(0.03)
    expect(run.warnings.join('\n')).toContain(
      `big: ${big} measured requests; the gate's tests and the report's charts use a uniform sample of ${MAX_REQUESTS_PER_CASE}`,
    )
    expect(run.warnings.join('\n')).toMatch(/requests\.jsonl: line 8 is not valid JSON/)
    expect(run.warnings.join('\n')).toMatch(/requests\.jsonl: line 10 is not valid JSON/)
    expect(run.warnings.join('\n')).toContain(`big: ${big} measured requests`)
    expect(
      allRequests(run)
        .filter((r) => r.caseName === 'old')
        .map((r) => r.id),
    ).toEqual(['old-0'])
  })
})
