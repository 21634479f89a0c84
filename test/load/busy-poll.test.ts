// BENCH_BUSY_POLL: where the measuring loop is kept turning, and that it stops turning when the case ends.
import { describe, expect, it } from 'vitest'
import type { Gpu, GpuPin } from '../../fixtures/gpu.ts'
import { stackDef } from '../../fixtures/stacks/index.ts'
import { BusyPoll, busyPollChoice, serverComputesHere } from '../../helpers/load/busy-poll.ts'

const gpu: Gpu = { index: 0, uuid: 'GPU-1', name: 'H100', memMib: 81559 }
const pin = (gpus: Gpu[]) => ({ gpus }) as unknown as GpuPin

describe('serverComputesHere', () => {
  const cases: Array<[string, Parameters<typeof serverComputesHere>[0], boolean]> = [
    [
      'a llama-server we started on a CPU machine',
      { stack: stackDef('llama.cpp'), unit: 'proc', url: 'http://127.0.0.1:1', pin: pin([]), gpuLayers: undefined },
      true,
    ],
    ['a llama-server we started on a GPU', { stack: stackDef('llama.cpp'), unit: 'proc', url: 'http://127.0.0.1:1', pin: pin([gpu]), gpuLayers: 99 }, false],
    [
      'the same at -ngl 0 (its layers on the CPU)',
      { stack: stackDef('llama.cpp'), unit: 'proc', url: 'http://127.0.0.1:1', pin: pin([gpu]), gpuLayers: 0 },
      true,
    ],
    ['the simulator we started', { stack: stackDef('sim'), unit: 'proc', url: 'http://127.0.0.1:1', pin: pin([]), gpuLayers: undefined }, false],
    ['a vLLM on another host', { stack: stackDef('vllm'), unit: 'external', url: 'http://10.0.0.7:8000', pin: pin([]), gpuLayers: undefined }, false],
    [
      'a vLLM on localhost, machine without a GPU',
      { stack: stackDef('vllm'), unit: 'external', url: 'http://localhost:8000', pin: pin([]), gpuLayers: undefined },
      true,
    ],
    [
      'a vLLM on localhost, machine with a GPU',
      { stack: stackDef('vllm'), unit: 'external', url: 'http://127.0.0.1:8000', pin: pin([gpu]), gpuLayers: undefined },
      false,
    ],
  ]
  for (const [name, server, here] of cases) it(name, () => expect(serverComputesHere(server)).toBe(here))

  it('a server not started yet (its getters throw) counts as computing here, without throwing', () => {
    // a view of a model its one-model server does not serve yet: a throw here once hung the bench (own-gguf.test.ts)
    const notStarted = {
      stack: stackDef('llama.cpp'),
      get unit(): 'proc' {
        throw new Error('the server is not started')
      },
      get url(): string {
        throw new Error('the server is not started')
      },
      get pin(): GpuPin {
        throw new Error('the server is not started')
      },
      gpuLayers: undefined,
    }
    expect(serverComputesHere(notStarted)).toBe(true)
  })
})

describe('busyPollChoice', () => {
  it('auto: on only where the server is elsewhere and a core is left over', () => {
    expect(busyPollChoice('auto', false, 1, 2).on).toBe(true)
    expect(busyPollChoice('auto', true, 1, 64).on).toBe(false)
    expect(busyPollChoice('auto', false, 1, 1)).toEqual({ on: false, why: '1 core(s) for 1 measuring process(es) and everything else' })
    expect(busyPollChoice('auto', false, 4, 4).on).toBe(false)
    expect(busyPollChoice('auto', false, 4, 8).on).toBe(true)
  })
  it('the knob overrides it both ways', () => {
    expect(busyPollChoice('1', true, 1, 1)).toEqual({ on: true, why: 'BENCH_BUSY_POLL=1' })
    expect(busyPollChoice('0', false, 1, 64)).toEqual({ on: false, why: 'BENCH_BUSY_POLL=0' })
  })
})

describe('BusyPoll', () => {
  const cpuMsOver = async (ms: number) => {
    const c0 = process.cpuUsage()
    await new Promise((r) => setTimeout(r, ms))
    const c = process.cpuUsage(c0)
    return (c.user + c.system) / 1000
  }

  it('keeps the loop turning while on (about a core), and lets it sleep again once stopped', async () => {
    const poll = new BusyPoll()
    poll.start()
    poll.start() // idempotent: one chain, not two
    const busy = await cpuMsOver(300)
    const turns = poll.turns
    poll.stop()
    const idle = await cpuMsOver(300)
    expect(turns).toBeGreaterThan(1000)
    expect(busy).toBeGreaterThan(150)
    expect(idle).toBeLessThan(60)
    expect(poll.turns).toBe(turns)
    // nothing of it left to keep the process alive
    expect(process.getActiveResourcesInfo()).not.toContain('Immediate')
  })
})
