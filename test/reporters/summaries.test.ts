import { describe, expect, it } from 'vitest'
import type { AggregateRow } from '../../reporters/aggregate-row.ts'
import { buildSections, renderConsole, renderMarkdown } from '../../reporters/summaries.ts'

const row = (o: Partial<AggregateRow>): AggregateRow => ({
  run_ts: '2025-01-02T03:04:05+01:00',
  host: 'h1',
  stack: 'ollama',
  model: 'gemma3:4b-it-fp16',
  baseline_tokps: '40.00',
  optimal_variant: 'num_gpu=35',
  optimal_tokps: '52.00',
  baseline_endpoint: '127.0.0.1:11435',
  optimal_endpoint: '127.0.0.1:11435',
  gpu_label: 'nvidia-3090ti',
  gpu_name: 'NVIDIA GeForce RTX 3090 Ti',
  num_gpu: '35',
  csv_file: 'x/bench.csv',
  ...o,
})

const ROWS = [
  row({}),
  row({ stack: 'llama.cpp', optimal_tokps: '61.50', baseline_tokps: '50.00', host: 'h2' }),
  row({ model: 'llama3:8b', optimal_tokps: '30.00', baseline_tokps: '30.00', optimal_variant: '', num_gpu: '' }),
  row({ run_ts: '2025-01-01T00:00:00+01:00', optimal_tokps: '48.00' }),
]

describe('summaries', () => {
  it('every section sorted by tok/s, aliases used, gain as N.NNx, same widths everywhere', () => {
    const sections = buildSections(ROWS, { top: 3 }, { runTs: '2025-01-02T03:04:05+01:00', host: 'h1' })
    expect(sections.map((s) => s.title)).toEqual([
      'Top 3 by tok/s',
      'Best optimized per (endpoint, model)',
      'Base vs optimized (gain = optimal ÷ baseline)',
      'Best per (stack, model)',
      'Best per (stack, model, gpu_label)',
      'Best per (host, model)',
      'Global best per model',
      'Current run',
    ])
    expect(sections[0].rows.map((r) => r.optimal_tokps)).toEqual(['61.50', '52.00', '48.00'])
    expect(sections[6].rows.map((r) => [r.model, r.stack, r.optimal_tokps])).toEqual([
      ['gemma3:4b-it-fp16', 'llama.cpp', '61.50'],
      ['llama3:8b', 'ollama', '30.00'],
    ])
    expect(sections[7].rows.map((r) => r.model)).toEqual(['gemma3:4b-it-fp16', 'llama3:8b'])
    const text = renderConsole(sections)
    const headers = text.split('\n').filter((l) => l.startsWith('model'))
    expect(new Set(headers).size).toBe(1) // identical header line (so identical widths) in every section
    expect(text).toContain('gemma3-4b-i-f16')
    expect(text).not.toContain('gemma3:4b')
    expect(text).toMatch(/gemma3-4b-i-f16 +ollama +h1 .* 40\.00 +52\.00 +1\.30x +2025-01-02 03:04/)
    expect(text).toMatch(/llama3-8b .* base-as-is .* 30\.00 +30\.00 +1\.00x/)
    const md = renderMarkdown(sections)
    expect(md).toContain('### Global best per model')
    expect(md).toMatch(/^\| model +\| stack +\| host/m)
  })

  it('filters by regex and explains a bad one', () => {
    expect(buildSections(ROWS, { stack: '^llama' })[3].rows).toHaveLength(1)
    expect(buildSections(ROWS, { model: 'gemma3-4b-i' })[6].rows).toHaveLength(1) // alias matches too
    expect(() => buildSections(ROWS, { model: '(' })).toThrow("--model '(' is not a valid regular expression")
  })
})
