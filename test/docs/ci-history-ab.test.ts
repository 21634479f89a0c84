// The CI example keeps the last K main runs as the baseline (a rolling window in the Actions cache) and runs
// `fuze-bench ab` for PRs that change the serving stack. The shell of the window step is run here on folders
// named like run folders, so the pruning that keeps the newest K is checked, not just read.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { parseAbArgs } from '../../cli/commands/ab.ts'

type Step = { name?: string; id?: string; run?: string; uses?: string; with?: Record<string, unknown>; if?: string }
type Job = { if?: string; needs?: string; env?: Record<string, unknown>; steps: Step[] }

const wf = parse(readFileSync('docs/ci/github-actions.yml', 'utf8')) as { jobs: Record<string, Job> }

describe('docs/ci/github-actions.yml: history and A/B', () => {
  const bench = wf.jobs.bench
  const step = (name: RegExp) => bench.steps.find((s) => s.name && name.test(s.name))!

  it('restores the window on every run, benches against it with BENCH_BASELINE_RUNS=K, saves it on main only', () => {
    const K = bench.env?.HISTORY_RUNS
    expect(Number(K)).toBeGreaterThanOrEqual(3)
    const restore = bench.steps.find((s) => s.uses?.startsWith('actions/cache/restore@'))!
    expect(restore.with?.path).toBe('baseline-results')
    expect(String(restore.with?.['restore-keys'])).toMatch(/^fuze-bench-history-/)
    expect(step(/^Benchmark/).run).toContain('BENCH_BASELINE_RUNS="$HISTORY_RUNS"')
    const save = bench.steps.find((s) => s.uses?.startsWith('actions/cache/save@'))!
    expect(save.with?.path).toBe('baseline-results')
    expect(save.if).toContain('refs/heads/')
    expect(step(/^Add this run/).if).toBe(save.if)
    // the saved key is unique per run and carries the prefix the restore looks for
    expect(String(save.with?.key).startsWith(String(restore.with?.['restore-keys']))).toBe(true)
  })

  it('the window step adds the run and keeps the newest K run folders', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuze-ci-'))
    for (const r of ['20250101_000000-ci', '20250102_000000-ci', '20250103_000000-ci', '20250104_000000-ci', '20250105_000000-ci'])
      mkdirSync(join(dir, 'baseline-results', r), { recursive: true })
    mkdirSync(join(dir, 'results', '20250106_000000-ci'), { recursive: true })
    writeFileSync(join(dir, 'results', '20250106_000000-ci', 'summary.json'), '{}')
    mkdirSync(join(dir, 'results', 'no-summary'), { recursive: true })
    const r = await execa('bash', ['-e', '-c', step(/^Add this run/).run!], { cwd: dir, env: { HISTORY_RUNS: '3' }, reject: false, all: true })
    expect(r.exitCode, r.all).toBe(0)
    expect(readdirSync(join(dir, 'baseline-results')).sort()).toEqual(['20250104_000000-ci', '20250105_000000-ci', '20250106_000000-ci'])
  })

  it('PRs that change serving/ run fuze-bench ab, base config as A and the PR as B, and upload ab.json', () => {
    const ab = wf.jobs.ab
    expect(ab.if).toBe("github.event_name == 'pull_request'")
    const run = ab.steps.find((s) => s.run?.includes('fuze-bench ab'))!
    expect(run.if).toBe("steps.changed.outputs.serving == 'true'")
    const line = run.run!.split('\n').find((l) => l.includes('npx fuze-bench ab'))!
    const args = line.trim().split(/\s+/).slice(3)
    // the env files exist only in the user's repository: stand in any readable file to parse the rest
    const p = parseAbArgs(args.map((a) => (a.startsWith('@') ? '@docs/ci/github-actions.yml' : a)))
    expect(p.vitestArgs).toEqual(['--project', 'llama.cpp'])
    expect(p.budgetS).toBe(1800)
    expect(line).toContain('--a @base.env --b @serving/bench.env')
    expect(ab.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))?.with?.path).toBe('results/ab/')
  })
})
