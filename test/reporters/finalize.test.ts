import { execa } from 'execa'
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AGGREGATE_COLUMNS } from '../../reporters/aggregate-row.ts'
import { finalizeRun } from '../../reporters/finalize.ts'
import { SUMMARY_COLUMNS } from '../../reporters/summary-csv.ts'
import { NOBODY, skipUnlessNobodyCanRun } from '../support/as-nobody.ts'
import { REPO } from './cli.ts'
import { makeRun, sweepRun } from './make-run.ts'

const tmp = () => mkdtempSync(join(tmpdir(), 'fuze-fin-'))

describe('finalizeRun', () => {
  it('writes summary.csv, the aggregate, best-of, gate.json and report.html and prints the summaries', async () => {
    const results = join(tmp(), 'results')
    const dir = sweepRun(results, '20250102_030405-h', { host: 'h' })
    const out: string[] = []
    const res = await finalizeRun({ runDir: dir, resultsDir: results, print: (s) => out.push(s) })
    expect(res).toEqual({ failed: false, failures: [] })
    const csv = readFileSync(join(dir, 'summary.csv'), 'utf8').trim().split('\n')
    expect(csv[0]).toBe(SUMMARY_COLUMNS.join(','))
    expect(csv).toHaveLength(15) // header + 14 cases
    expect(SUMMARY_COLUMNS).toContain('ttft_ms_p99')
    expect(readFileSync(join(results, 'benchmarks.csv'), 'utf8').split('\n')[0]).toBe(AGGREGATE_COLUMNS.join(','))
    for (const f of ['benchmarks.best.csv', 'benchmarks.best.by_host_model.csv', 'benchmarks.best.by_model.csv'])
      expect(existsSync(join(results, f))).toBe(true)
    expect(JSON.parse(readFileSync(join(dir, 'gate.json'), 'utf8')).passed).toBe(true)
    const html = readFileSync(join(dir, 'report.html'), 'utf8')
    expect(html).toContain('Chart.js v4.6.1')
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/)
    const text = out.join('\n')
    expect(text).toContain('== Global best per model ==')
    expect(text).toContain('== Current run ==')
    expect(text.indexOf('Global best per model')).toBeLessThan(text.indexOf('Current run'))
  })

  it('in GitHub Actions: ::error annotations and a step summary section; JUnit when asked', async () => {
    const root = tmp()
    const results = join(root, 'results')
    const dir = makeRun(results, 'dead', [{ stack: 'vllm', model: 'Qwen/Qwen2.5-0.5B', tokps: 100, failAll: true }])
    const summary = join(root, 'summary.md')
    writeFileSync(summary, '# earlier step\n')
    const out: string[] = []
    const saved = { ...process.env }
    Object.assign(process.env, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary })
    try {
      const res = await finalizeRun({ runDir: dir, resultsDir: results, junitPath: join(root, 'junit.xml'), print: (s) => out.push(s) })
      expect(res.failed).toBe(true)
      expect(res.failures[0].code).toBe('all_failed')
      expect(res.failures[0].message).toMatch(
        /^benches\/vllm\/Qwen-Qwen2\.5-0\.5B\.bench\.ts > Qwen\/Qwen2\.5-0\.5B on vllm > decode 32 tokens: all 10 measured requests failed/,
      )
    } finally {
      process.env = saved
    }
    expect(out.filter((l) => l.startsWith('::error'))).toEqual([
      expect.stringMatching(
        /^::error file=benches\/vllm\/Qwen-Qwen2\.5-0\.5B\.bench\.ts,title=fuze-bench gate::benches\/vllm\/.* all 10 measured requests failed \(connect_error×10\); first error: connect ECONNREFUSED 127\.0\.0\.1:11435$/,
      ),
    ])
    const md = readFileSync(summary, 'utf8')
    expect(md.startsWith('# earlier step\n## fuze-bench gate: ❌ FAIL')).toBe(true)
    expect(md).toContain('### Current run')
    expect(readFileSync(join(root, 'junit.xml'), 'utf8')).toContain('<testsuites name="fuze-bench" tests="1" failures="1">')
  })

  const READ_ONLY = 'a read-only results folder: fails naming the path, leaves the old aggregate intact, still writes the run report'
  // as root the writer runs as nobody (root ignores permissions), who must be able to reach the checkout
  it(READ_ONLY, async (ctx) => {
    if (process.getuid?.() === 0) skipUnlessNobodyCanRun(ctx, REPO, READ_ONLY)
    const root = tmp()
    const results = join(root, 'results')
    const first = makeRun(results, 'r1', [{ stack: 'llama.cpp', model: 'm', tokps: 10 }], { startedAt: '2025-01-01T00:00:00Z' })
    await finalizeRun({ runDir: first, resultsDir: results, print: () => {} })
    const before = readFileSync(join(results, 'benchmarks.csv'), 'utf8')
    // the run folder stays writable (its own files), the results folder is read-only
    const runDir = join(root, 'run2')
    cpSync(makeRun(root, 'src2', [{ stack: 'llama.cpp', model: 'm2', tokps: 20 }], { startedAt: '2025-01-02T00:00:00Z' }), runDir, { recursive: true })
    chmodSync(root, 0o755)
    chmodSync(runDir, 0o777)
    chmodSync(results, 0o555)
    try {
      const worker = join(REPO, 'test/reporters/finalize-worker.ts')
      const args = ['node', '--import', 'tsx', worker, runDir, results]
      // root ignores permissions: drop to nobody so the folder really is read-only for the writer
      const cmd = process.getuid?.() === 0 ? [...NOBODY, ...args] : args
      const r = await execa(cmd[0], cmd.slice(1), { cwd: REPO, reject: false, env: { HOME: root, GITHUB_ACTIONS: '' } })
      const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { failed: boolean; failures: Array<{ code: string; message: string }> }
      expect(res.failed).toBe(true)
      expect(res.failures[0].code).toBe('output_error')
      expect(res.failures[0].message).toContain(`could not write ${results}/benchmarks.csv.lock (EACCES)`)
      expect(res.failures[0].message).toContain('Nothing was half-written')
      expect(readFileSync(join(results, 'benchmarks.csv'), 'utf8')).toBe(before)
      expect(readdirSync(results).sort()).toEqual([
        'benchmarks.best.by_host_model.csv',
        'benchmarks.best.by_model.csv',
        'benchmarks.best.csv',
        'benchmarks.csv',
        'r1',
      ])
      expect(existsSync(join(runDir, 'report.html'))).toBe(true)
    } finally {
      chmodSync(results, 0o755)
    }
  })
})
