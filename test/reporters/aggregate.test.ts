import { execa } from 'execa'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AGGREGATE_COLUMNS } from '../../reporters/aggregate-row.ts'
import { aggregateRun, identifyRun, readAggregate } from '../../reporters/aggregate.ts'
import { loadRun } from '../../reporters/run-data.ts'
import { fuzeBench, REPO } from './cli.ts'
import { makeRun, sweepRun } from './make-run.ts'

const tmp = () => mkdtempSync(join(tmpdir(), 'fuze-agg-'))

describe('aggregate rows (docs/spec.md §3)', () => {
  it('baseline = best base-as-is row, optimal = best optimized row with tok/s > 0; no optimal → optimal = baseline', () => {
    const results = join(tmp(), 'results')
    const dir = makeRun(
      results,
      '20250102_030405-h1',
      [
        { stack: 'ollama', model: 'gemma3:4b-it-fp16', tokps: 40 },
        { stack: 'ollama', model: 'gemma3:4b-it-fp16', variant: 'optimized', numGpu: '35', tokps: 52 },
        { stack: 'ollama', model: 'gemma3:4b-it-fp16', variant: 'optimized', numGpu: '27', tokps: 47 },
        { stack: 'ollama', model: 'llama3:8b', tokps: 30 },
        { stack: 'ollama', model: 'llama3:8b', variant: 'optimized', numGpu: '4', failAll: true, tokps: 1 },
      ],
      { host: 'h1', startedAt: '2025-01-02T03:04:05+01:00' },
    )
    const rows = aggregateRun(identifyRun(loadRun(dir), results))
    expect(rows.map((r) => [r.model, r.baseline_tokps, r.optimal_variant, r.optimal_tokps, r.num_gpu, r.csv_file])).toEqual([
      ['gemma3:4b-it-fp16', rows[0].baseline_tokps, 'gemma3-4b-it-fp16-nvidia-3090ti-ngl35', rows[0].optimal_tokps, '35', '20250102_030405-h1/bench.csv'],
      ['llama3:8b', rows[1].baseline_tokps, '', rows[1].baseline_tokps, '', '20250102_030405-h1/bench.csv'],
    ])
    expect(Number(rows[0].optimal_tokps)).toBeGreaterThan(49)
    expect(rows[0].run_ts).toBe('2025-01-02T03:04:05+01:00')
  })
})

describe('fuze-bench collect', () => {
  it('merges runs from several hosts, is idempotent, and rebuilds sorted best-of files', async () => {
    const results = join(tmp(), 'results')
    sweepRun(results, '20250101_000000-alpha', { host: 'alpha', startedAt: '2025-01-01T00:00:00+00:00' })
    const other = join(tmp(), 'from-beta')
    sweepRun(other, '20250102_000000-beta', { host: 'beta', startedAt: '2025-01-02T00:00:00+00:00', scale: 1.5 })
    let r = await fuzeBench(['collect', '--all', '--results', results])
    expect(r.code, r.out).toBe(0)
    r = await fuzeBench(['collect', '--results', results, other])
    expect(r.out).toContain('collected 1 run folder(s): 2 row(s) added, 0 updated, 4 in')
    r = await fuzeBench(['collect', '--all', '--results', results, other])
    expect(r.out).toContain('0 row(s) added, 4 updated, 4 in')
    const agg = readFileSync(join(results, 'benchmarks.csv'), 'utf8').split('\n')
    expect(agg[0]).toBe(AGGREGATE_COLUMNS.join(','))
    expect(agg.filter(Boolean)).toHaveLength(5)
    const best = readFileSync(join(results, 'benchmarks.best.by_model.csv'), 'utf8').trim().split('\n')
    expect(best[0]).toBe('model,stack,host,optimal_tokps,baseline_tokps,optimal_variant,gpu_label,gpu_name,num_gpu,run_ts,csv_file')
    expect(best.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['gemma3:4b-it-fp16,llama.cpp,beta', 'qwen2.5:7b-instruct,llama.cpp,beta'])
    const byHost = readFileSync(join(results, 'benchmarks.best.by_host_model.csv'), 'utf8').trim().split('\n').slice(1)
    const tok = byHost.map((l) => Number(l.split(',')[3]))
    expect(tok).toEqual([...tok].sort((a, b) => b - a))
    expect(byHost).toHaveLength(4)
  })

  it('reads an old FuZe CSV (17 fields, " 32607", YYYYMMDD_HHMMSS) without error', async () => {
    const root = tmp()
    const results = join(root, 'results')
    const old = join(root, 'ollama_bench_20240612_101500.csv')
    writeFileSync(
      old,
      [
        'ts,endpoint,unit,suffix,base_model,variant_label,model_tag,num_gpu,num_ctx,batch,num_predict,tokens_per_sec,gpu_label,gpu_name,gpu_uuid,gpu_mem_mib',
        '20240612_101500,127.0.0.1:11435,proc,A,llama3:8b,base-as-is,llama3:8b,,4096,,128,88.20,nvidia-5090,NVIDIA GeForce RTX 5090,GPU-abc, 32607',
        '20240612_101700,127.0.0.1:11435,proc,A,llama3:8b,optimized,LLM-FuZe-llama3-8b-nvidia-5090-ng33,33,4096,,128,95.10,x,nvidia-5090,NVIDIA GeForce RTX 5090,GPU-abc, 32607',
        '',
      ].join('\n'),
    )
    const r = await fuzeBench(['collect', '--results', results, '--host', 'oldbox', old])
    expect(r.code, r.out).toBe(0)
    expect(readAggregate(results)).toEqual([
      {
        run_ts: '2024-06-12T10:15:00',
        host: 'oldbox',
        stack: 'ollama',
        model: 'llama3:8b',
        baseline_tokps: '88.20',
        optimal_variant: 'LLM-FuZe-llama3-8b-nvidia-5090-ng33',
        optimal_tokps: '95.10',
        baseline_endpoint: '127.0.0.1:11435',
        optimal_endpoint: '127.0.0.1:11435',
        gpu_label: 'nvidia-5090',
        gpu_name: 'NVIDIA GeForce RTX 5090',
        num_gpu: '33',
        csv_file: '../ollama_bench_20240612_101500.csv',
      },
    ])
  })

  it('two processes merging at the same moment lose nothing and duplicate nothing', async () => {
    const results = join(tmp(), 'results')
    const runs = Array.from({ length: 6 }, (_, i) =>
      makeRun(results, `2025010${i + 1}_000000-h`, [{ stack: 'llama.cpp', model: `m${i}`, tokps: 10 + i }], {
        startedAt: `2025-01-0${i + 1}T00:00:00Z`,
        seed: i,
      }),
    )
    const worker = join(REPO, 'test/reporters/merge-worker.ts')
    // each worker merges every run (overlap on purpose) in a different order
    await Promise.all([
      execa('node', ['--import', 'tsx', worker, results, ...runs], { cwd: REPO }),
      execa('node', ['--import', 'tsx', worker, results, ...[...runs].reverse()], { cwd: REPO }),
    ])
    const rows = readAggregate(results)
    expect(rows.map((r) => r.model).sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5'])
    expect(readdirSync(results).filter((f) => f.endsWith('.lock') || f.endsWith('.tmp'))).toEqual([])
  })

  it('names a missing path and an unknown stack clearly', async () => {
    const results = join(tmp(), 'results')
    let r = await fuzeBench(['collect', '--results', results, '/nonexistent/run'])
    expect(r.out).toContain('/nonexistent/run does not exist; pass run folders, folders of run folders, or FuZe CSV files')
    const f = join(tmp(), 'mystery.csv')
    writeFileSync(f, '')
    r = await fuzeBench(['collect', '--results', results, f])
    expect(r.code).toBe(1)
    expect(r.out).toContain(`cannot tell the stack of ${f} from its name; pass --stack (e.g. --stack ollama)`)
  })
})
