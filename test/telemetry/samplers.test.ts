// The samplers on real processes: one `nvidia-smi -lms` child (the shim drawing a known constant power on two GPUs)
// integrated to its analytic energy, and the vLLM-shaped /metrics of the simulator scraped while requests run.
import { readFileSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../../helpers/protocols/index.ts'
import { integratePower } from '../../helpers/telemetry/energy.ts'
import { NvidiaSmiSampler } from '../../helpers/telemetry/nvidia-smi.ts'
import { PromSampler } from '../../helpers/telemetry/server-sampler.ts'
import { startSim, type SimHandle } from '../../sim/index.ts'
import { ROOT } from '../support/run-bench.ts'
import { waitFor } from '../support/procs.ts'
import { isAlive, readShimLog, shimLogFile } from '../stacks/support.ts'

const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n')

describe('GPU sampler (nvidia-smi shim, two GPUs)', () => {
  const saved = { PATH: process.env.PATH, FUZE_SHIM_LOG: process.env.FUZE_SHIM_LOG }
  const log = shimLogFile()
  beforeAll(() => {
    process.env.PATH = `${join(ROOT, 'test', 'shims')}${delimiter}${process.env.PATH}`
    process.env.FUZE_SHIM_LOG = log
    process.env.FUZE_SHIM_POWER_W = '150,350'
  })
  afterAll(() => {
    process.env.PATH = saved.PATH
    if (saved.FUZE_SHIM_LOG === undefined) delete process.env.FUZE_SHIM_LOG
    else process.env.FUZE_SHIM_LOG = saved.FUZE_SHIM_LOG
    delete process.env.FUZE_SHIM_POWER_W
  })

  it('streams from one child per case, keeps the raw readings, and integrates to (150 + 350) W × seconds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuze-gpu-'))
    const csv = join(dir, 'gpu.csv')
    const s = new NvidiaSmiSampler([1, 0], 100, csv, join(dir, 'nvidia-smi.log'), '[test]')
    const from = performance.now()
    s.start()
    await waitFor(() => lines(csv).length >= 1 + 2 * 6, 'six readings per GPU', 20_000)
    const to = performance.now()
    const r = await s.stop()
    expect(r.problem).toBeUndefined()
    expect(r.gpus.map((g) => g.index)).toEqual([0, 1])
    expect(r.samples).toBeGreaterThanOrEqual(6)
    const joules = r.gpus.map((g) => integratePower(g.power, from, to)!)
    const analytic = ((to - from) / 1000) * 500
    expect(Math.abs(joules[0] + joules[1] - analytic) / analytic).toBeLessThan(0.02)
    expect(joules[1] / joules[0]).toBeCloseTo(350 / 150, 6)
    // the raw file: a header, then one timestamped row per GPU per interval
    const [head, ...rows] = lines(csv)
    expect(head).toBe('epoch_ms,gpu_index,power_w,util_pct,mem_mib,sm_mhz,temp_c')
    expect(rows[0]).toMatch(/^\d+\.\d,0,150,40,1024,1410,45$/)
    expect(rows[1]).toMatch(/^\d+\.\d,1,350,90,2048,1410,45$/)
    const started = readShimLog(log).filter((e) => e.stack === 'nvidia-smi')
    expect(started).toHaveLength(1)
    expect(started[0].argv?.slice(-2)).toEqual(['-i', '0,1'])
    expect(isAlive(started[0].pid)).toBe(false)
  })

  it('says what went wrong when nvidia-smi cannot stream, and gives no readings (not zeros)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuze-gpu-'))
    process.env.PATH = `${dir}${delimiter}${saved.PATH}` // no nvidia-smi at all
    try {
      const s = new NvidiaSmiSampler([0], 100, join(dir, 'gpu.csv'), join(dir, 'nvidia-smi.log'), '[test]')
      s.start()
      const r = await s.stop()
      expect(r.samples).toBe(0)
      expect(r.problem).toMatch(/nvidia-smi/)
      expect(integratePower(r.gpus[0].power, 0, 1000)).toBeNull()
    } finally {
      process.env.PATH = `${join(ROOT, 'test', 'shims')}${delimiter}${saved.PATH}`
    }
  })
})

describe('server metrics sampler (the simulator’s vLLM /metrics)', () => {
  let sim: SimHandle
  beforeAll(async () => {
    sim = await startSim({ protocol: 'openai', ttftMs: 5, itlMs: 5 })
  })
  afterAll(() => sim.close())

  it('keeps every scrape with original names and counts exactly the generated tokens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuze-prom-'))
    const file = join(dir, 'server-metrics.jsonl')
    const p = new PromSampler(`${sim.url}/metrics`, 50, file, ['vllm:generation_tokens_total', 'vllm:num_requests_running'])
    await p.start()
    const client = createClient('openai-completions', sim.url)
    let tokens = 0
    for (let i = 0; i < 3; i++) {
      const obs = await client.generate({
        prompt: `hello ${i}`,
        maxTokens: 12,
        temperature: 0,
        ignoreEos: true,
        model: 'sim-model',
        timeoutMs: 10_000,
        requestId: `t${i}`,
      })
      expect(obs.outcome).toBe('ok')
      tokens += obs.server.outputTokens ?? 0
    }
    await client.close()
    const r = await p.stop()
    expect(tokens).toBe(36)
    expect(r.problem).toBeUndefined()
    const gen = r.kept['vllm:generation_tokens_total'].map((x) => x.v!)
    expect(gen.at(-1)! - gen[0]).toBe(36)
    expect(r.samples).toBeGreaterThanOrEqual(2)
    const scrapes = lines(file).map((l) => JSON.parse(l) as { epochMs: number; values: Record<string, number> })
    expect(scrapes).toHaveLength(r.samples)
    expect(Object.keys(scrapes[0].values)).toContain('vllm:e2e_request_latency_seconds_bucket{engine="0",model_name="sim-model",le="+Inf"}')
    expect(
      scrapes.at(-1)!.values['vllm:generation_tokens_total{engine="0",model_name="sim-model"}'] -
        scrapes[0].values['vllm:generation_tokens_total{engine="0",model_name="sim-model"}'],
    ).toBe(36)
  })

  it('reports failed scrapes with the first error, and keeps nothing it did not see', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuze-prom-'))
    const p = new PromSampler(`${sim.url}/no-such-metrics`, 50, join(dir, 'm.jsonl'), ['vllm:generation_tokens_total'])
    await p.start()
    const r = await p.stop()
    expect(r.samples).toBe(0)
    expect(r.problem).toMatch(/^2 of 2 scrapes of http:\/\/127\.0\.0\.1:\d+\/no-such-metrics failed \(first: HTTP 404/)
    expect(r.kept['vllm:generation_tokens_total']).toEqual([])
  })
})
