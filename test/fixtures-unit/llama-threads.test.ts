// CPU runs leave one core to the client that timestamps tokens; GPU runs and a spec's own --threads are left alone.
import { describe, expect, it } from 'vitest'
import { cpuThreads } from '../../fixtures/stacks/llama.cpp.ts'

describe('llama-server --threads on CPU', () => {
  it('uses all cores but one on a CPU-only run, at least one', () => {
    expect(cpuThreads(false, [], 2)).toBe(1)
    expect(cpuThreads(false, [], 16)).toBe(15)
    expect(cpuThreads(false, [], 1)).toBe(1)
  })
  it('adds nothing on a GPU or when the spec sets threads itself', () => {
    expect(cpuThreads(true, [], 16)).toBeUndefined()
    expect(cpuThreads(false, ['-t', '4'], 16)).toBeUndefined()
    expect(cpuThreads(false, ['--threads=4'], 16)).toBeUndefined()
  })
})
