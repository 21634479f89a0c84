// The CI workflow users copy (docs/ci/github-actions.yml) is valid YAML and does what the README says it does.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

type Step = { name?: string; run?: string; uses?: string; with?: Record<string, unknown>; if?: string }

describe('docs/ci/github-actions.yml', () => {
  const wf = parse(readFileSync('docs/ci/github-actions.yml', 'utf8')) as { jobs: Record<string, { 'runs-on': string[]; steps: Step[] }> }
  const job = wf.jobs.bench
  const runs = job.steps.map((s) => s.run ?? '').join('\n')

  it('runs on a self-hosted GPU runner, caches the build and installs with npm ci', () => {
    expect(job['runs-on']).toEqual(['self-hosted', 'linux', 'gpu'])
    expect(job.steps.some((s) => s.uses?.startsWith('actions/cache@') && s.with?.path === '.fuze-cache')).toBe(true)
    expect(runs).toContain('npm ci')
    expect(runs).toContain('npx fuze-bench setup')
  })

  it('benches against a baseline from the default branch and uploads the results even when the gate fails', () => {
    expect(runs).toMatch(/BENCH_BASELINE="\$PWD\/baseline-results"/)
    expect(runs).toContain('npx vitest bench --project llama.cpp')
    const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))
    expect(upload?.if).toBe('always()')
    expect(upload?.with?.path).toBe('results/')
  })
})
