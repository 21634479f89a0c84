// The output registry: `live` outputs rebuilt from a loaded run are byte-identical to what the reporter and the
// worker wrote while the run went (fuze-bench merge relies on it), and finalize writes exactly the enabled `end` ones.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { finalizeRun } from '../../reporters/finalize.ts'
import { OUTPUTS, type OutputContext } from '../../reporters/outputs.ts'
import { allRequests, loadRun } from '../../reporters/run-data.ts'
import { appendCsv16Row, newRunSummary, writeSummaryJson } from '../../reporters/run-folder.ts'
import { makeRun, sweepRun } from './make-run.ts'

const tmp = () => mkdtempSync(join(tmpdir(), 'fuze-out-'))

it('live outputs rebuilt from a loaded run equal the bytes the reporter and worker wrote', () => {
  const root = tmp()
  const src = loadRun(sweepRun(join(root, 'fake'), '20250102_030405-h', { host: 'h' }))
  // the folder as a run writes it: bench.csv appended row by row, summary.json rewritten, requests.jsonl appended
  const live = join(root, 'live')
  mkdirSync(live)
  const sum = { ...newRunSummary('20250102_030405-h', '2025-01-02T03:04:05+00:00'), finishedAt: '2025-01-02T03:09:05+00:00', incomplete: false }
  for (const c of src.summary!.cases) {
    appendCsv16Row(live, { runDir: live, finishedAt: c.finishedAt, row: c.row, summary: c.summary })
    sum.cases.push(c)
    writeSummaryJson(live, sum)
  }
  writeFileSync(
    join(live, 'requests.jsonl'),
    allRequests(src)
      .map((r) => `${JSON.stringify(r)}\n`)
      .join(''),
  )

  const rebuilt = join(root, 'rebuilt')
  mkdirSync(rebuilt)
  const ctx: OutputContext = { run: { ...loadRun(live), dir: rebuilt }, gate: null, settings: { resultsDir: root, env: {} }, print: () => {}, sections: [] }
  const liveOutputs = OUTPUTS.filter((o) => o.when === 'live')
  for (const o of liveOutputs) if (o.enabled(ctx.settings, ctx)) o.write(ctx)
  expect(readdirSync(rebuilt).sort()).toEqual(['bench.csv', 'requests.jsonl', 'summary.json'])
  for (const f of ['bench.csv', 'requests.jsonl', 'summary.json']) expect(readFileSync(join(rebuilt, f), 'utf8')).toBe(readFileSync(join(live, f), 'utf8'))
  expect(readFileSync(join(rebuilt, 'bench.csv'), 'utf8').split('\n')).toHaveLength(src.summary!.cases.length + 2)
})

it('finalize writes the enabled end outputs and nothing else', async () => {
  const root = tmp()
  const results = join(root, 'results')
  const dir = makeRun(results, '20250102_030405-h', [{ stack: 'llama.cpp', model: 'm', tokps: 10 }])
  const before = readdirSync(dir)
  const out: string[] = []
  // no JUnit path, not in GitHub Actions, no baseline update: those three stay off
  const res = await finalizeRun({ runDir: dir, resultsDir: results, print: (s) => out.push(s), env: {} })
  expect(res).toEqual({ failed: false, failures: [] })
  expect(
    readdirSync(dir)
      .filter((f) => !before.includes(f))
      .sort(),
  ).toEqual(['gate.json', 'report.html', 'summary.csv'])
  expect(readdirSync(results).sort()).toEqual([
    '20250102_030405-h',
    'benchmarks.best.by_host_model.csv',
    'benchmarks.best.by_model.csv',
    'benchmarks.best.csv',
    'benchmarks.csv',
  ])
  expect(out.some((l) => l.startsWith('::error'))).toBe(false)
  // the console outputs in registry order: summaries, gate verdict, report path
  expect(out.map((l) => l.split('\n')[0])).toEqual([
    '== Global best per model ==',
    '== Gate: PASS (no baseline: health checks only; set BENCH_BASELINE to compare) ==',
    `fuze-bench: report ${join(dir, 'report.html')}`,
  ])
})
