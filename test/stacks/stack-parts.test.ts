// The small pure parts of the stacks: model selection, slot choice, skip lines, Prometheus histogram parsing.
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadKnobs } from '../../env/index.ts'
import { missingBinary } from '../../fixtures/stacks/availability.ts'
import { selectModels } from '../../fixtures/stacks/ollama-models.ts'
import { parseHistogramTotals } from '../../fixtures/stacks/prom-metrics.ts'
import { stackDef } from '../../fixtures/stacks/index.ts'
import { slotsFor } from '../../fixtures/stacks/slots.ts'
import { resolveTritonModel } from '../../fixtures/stacks/triton.ts'

const GPUS = [
  { index: 0, uuid: 'GPU-a', name: 'NVIDIA GeForce RTX 3090 Ti', memMib: 24564 },
  { index: 1, uuid: 'GPU-b', name: 'NVIDIA RTX A6000', memMib: 49140 },
]

describe('ollama model discovery', () => {
  const tags = ['gemma3:4b-it-fp16', 'llama3.2:3b', 'LLM-FuZe-gemma3-4b-i-f16-nvidia-3090ti-ng35:latest', 'LLM-FuZe-llama3.2-3b-nvidia-a6000-ng7', 'qwen3:8b']
  it('leaves baked variants out and applies INCLUDE_MODELS / EXCLUDE_MODELS', () => {
    expect(selectModels(tags, loadKnobs({ env: {} }))).toEqual(['gemma3:4b-it-fp16', 'llama3.2:3b', 'qwen3:8b'])
    expect(selectModels(tags, loadKnobs({ env: { INCLUDE_MODELS: '^(gemma|llama)', EXCLUDE_MODELS: ':3b$' } }))).toEqual(['gemma3:4b-it-fp16'])
  })
})

describe('GPU slots of a gpu: each spec', () => {
  it('two GPUs → A then B; Ollama with OLLAMA_SCHED_SPREAD=1 → MULTI; one GPU or none → A', () => {
    expect(slotsFor(stackDef('vllm'), loadKnobs({ env: {} }), GPUS)).toEqual(['A', 'B'])
    expect(slotsFor(stackDef('ollama'), loadKnobs({ env: { OLLAMA_SCHED_SPREAD: '1' } }), GPUS)).toEqual(['MULTI'])
    expect(slotsFor(stackDef('vllm'), loadKnobs({ env: { OLLAMA_SCHED_SPREAD: '1' } }), GPUS)).toEqual(['A', 'B'])
    expect(slotsFor(stackDef('ollama'), loadKnobs({ env: { BENCH_GPU: 'A6000' } }), GPUS)).toEqual(['A'])
    expect(slotsFor(stackDef('ollama'), loadKnobs({ env: {} }), [])).toEqual(['A'])
  })
})

describe('skip lines', () => {
  it('name the missing binary and both variables', () => {
    expect(missingBinary('no-such-binary-xyz', 'VLLM_BIN', 'VLLM_URL')).toBe(
      'no `no-such-binary-xyz` binary on PATH and VLLM_URL is not set; set VLLM_BIN or VLLM_URL',
    )
    expect(missingBinary('/opt/none/ollama', 'OLLAMA_BIN', 'OLLAMA_URL', 'nothing answering at 127.0.0.1:11434')).toBe(
      '`/opt/none/ollama` (OLLAMA_BIN) is not an executable file and nothing answering at 127.0.0.1:11434; set OLLAMA_BIN or OLLAMA_URL',
    )
  })
  it('an executable named by path is available', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'fuze-bin-')), 'vllm')
    writeFileSync(f, '#!/bin/sh\n')
    chmodSync(f, 0o755)
    expect(missingBinary(f, 'VLLM_BIN', 'VLLM_URL')).toBeUndefined()
  })
})

describe('server metrics', () => {
  it('sums a histogram over its label sets', () => {
    const text = [
      '# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.',
      '# TYPE vllm:time_to_first_token_seconds histogram',
      'vllm:time_to_first_token_seconds_bucket{le="0.01",model_name="m"} 3.0',
      'vllm:time_to_first_token_seconds_sum{model_name="m"} 0.5',
      'vllm:time_to_first_token_seconds_count{model_name="m"} 4.0',
      'vllm:time_to_first_token_seconds_sum{model_name="n"} 0.25',
      'vllm:time_to_first_token_seconds_count{model_name="n"} 1.0',
      'vllm:e2e_request_latency_seconds_sum{model_name="m"} 9',
    ].join('\n')
    expect(parseHistogramTotals(text, 'vllm:time_to_first_token_seconds')).toEqual({
      source: 'vllm:time_to_first_token_seconds',
      ttftSumSeconds: 0.75,
      ttftCount: 5,
    })
    expect(parseHistogramTotals('up 1', 'vllm:time_to_first_token_seconds')).toBeUndefined()
  })
})

describe('triton models', () => {
  it('TRITON_MODELS gives the alias of a repository model; unknown names get the standard alias', () => {
    const k = loadKnobs({ env: { TRITON_MODELS: 'ensemble|llama3-8b' } })
    expect(resolveTritonModel('ensemble', k)).toEqual({ name: 'ensemble', alias: 'llama3-8b', wireName: 'ensemble' })
    expect(resolveTritonModel('gemma3:4b-it', k)).toEqual({ name: 'gemma3:4b-it', alias: 'gemma3-4b-i', wireName: 'gemma3:4b-it' })
  })
})
