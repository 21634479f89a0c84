// Telemetry of a whole bench run as a user runs it: a vLLM case on two GPUs (shims: vLLM = the simulator with its
// vLLM-shaped /metrics; nvidia-smi = two GPUs drawing 200 W and 300 W). J/token and $/1M tokens must equal their
// analytic values from the case's own wall time and token count; the server's generation counter must reconcile.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { telemetryOf } from '../../helpers/telemetry/types.ts'
import type { RunSummaryJson } from '../../reporters/run-data.ts'
import { reportData } from '../../reporters/html.ts'
import { loadRun } from '../../reporters/run-data.ts'
import { onlyRunDir, startBench } from '../support/run-bench.ts'
import { expectFlowPassed, isAlive, ports, QUICK, readShimLog, shimLogFile, shimPath } from '../stacks/support.ts'

const within = (got: number, want: number, rel: number) => expect(Math.abs(got - want) / want, `${got} vs ${want}`).toBeLessThan(rel)

describe('telemetry of a two-GPU run (shims)', () => {
  it('J/token and $/1M tokens equal (200 + 300) W × wall / tokens and $3.60/h × wall / tokens within 2%', async () => {
    const log = shimLogFile()
    const run = startBench(['--config', 'test/telemetry/vitest.telemetry.config.ts'], {
      ...QUICK,
      ...(await ports()),
      PATH: shimPath(),
      FUZE_SHIM_LOG: log,
      FUZE_SHIM_POWER_W: '200,300',
      FUZE_SHIM_UTIL_PCT: '50,70',
      FUZE_SHIM_MEM_MIB: '1000,3000',
      FUZE_SHIM_SIM_ARGS: '--itl-ms 8 --ttft-ms 40',
      BENCH_REQUESTS: '4',
      BENCH_WARMUP: '1',
      BENCH_METRICS_INTERVAL_MS: '100',
      BENCH_COST_PER_HOUR: '3.6',
    })
    const r = await run.child
    expectFlowPassed(r)
    const dir = onlyRunDir(run.resultsDir)
    const sum = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummaryJson
    expect(sum.cases).toHaveLength(1)
    const s = sum.cases[0].summary
    const t = telemetryOf(s)!
    expect(t, JSON.stringify(s.sections)).toBeDefined()
    const tokens = s.outputTokenThroughput * (s.wallMs / 1000)
    expect(tokens).toBeCloseTo(4 * 32, 6)
    const seconds = s.wallMs / 1000
    expect(t.powerSource).toBe('nvidia-smi')
    expect(t.gpus?.map((g) => g.index)).toEqual([0, 1])
    within(t.energyJ!, 500 * seconds, 0.02)
    within(t.jPerOutputToken!, (500 * seconds) / tokens, 0.02)
    within(t.usdPer1MOutputTokens!, ((3.6 * seconds) / 3600 / tokens) * 1e6, 0.02)
    within(t.meanW!, 500, 0.02)
    expect(t.peakW).toBe(500)
    expect(t.gpuUtilMeanPct).toBe(60)
    expect(t.gpuMemPeakMib).toBe(4000)
    // the registry fields carry the same numbers (summary.csv, tables)
    expect([s.jPerOutputToken, s.usdPer1MOutputTokens, s.powerSource]).toEqual([t.jPerOutputToken, t.usdPer1MOutputTokens, 'nvidia-smi'])
    const csv = readFileSync(join(dir, 'summary.csv'), 'utf8').split('\n')
    const col = (name: string) => csv[1].split(',')[csv[0].split(',').indexOf(name)]
    within(Number(col('j_per_output_token')), t.jPerOutputToken!, 0.001)
    within(Number(col('usd_per_1m_output_tokens')), t.usdPer1MOutputTokens!, 0.001)
    // vLLM's metrics, sampled with their own names; the generation counter reconciles with the usage counts
    expect(t.reconciliation).toEqual({ counter: 'vllm:generation_tokens_total', serverDelta: 128, clientSeen: 128, match: true })
    expect(s.warnings.filter((w) => w.includes('server counter'))).toEqual([])
    if (!('url' in t.server)) throw new Error(`no server metrics: ${t.server.none}`)
    expect(t.server.roles).toEqual({
      running: 'vllm:num_requests_running',
      waiting: 'vllm:num_requests_waiting',
      // the simulator serves vLLM's KV-cache gauge as vLLM 0.32 does (it lacked it before the real server was checked)
      kvCache: 'vllm:kv_cache_usage_perc',
      generatedTokens: 'vllm:generation_tokens_total',
      promptTokens: 'vllm:prompt_tokens_total',
    })
    const scrapes = readFileSync(join(dir, t.server.file), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { values: Record<string, number> })
    expect(scrapes.length).toBeGreaterThanOrEqual(2)
    expect(Object.keys(scrapes[0].values)).toContain('vllm:num_requests_running{engine="0",model_name="Qwen/Qwen2.5-0.5B-Instruct"}')
    // one nvidia-smi child for the case, both GPUs, gone with the case; its raw readings kept
    const smi = readShimLog(log).filter((e) => e.stack === 'nvidia-smi')
    expect(smi.map((e) => e.argv?.slice(-4))).toEqual([['-lms', '100', '-i', '0,1']])
    expect(isAlive(smi[0].pid)).toBe(false)
    expect(existsSync(join(dir, t.gpuFile!))).toBe(true)
    expect(readdirSync(join(dir, 'telemetry'))).toHaveLength(1)
    // the report charts the GPUs' total draw beside the server's metrics, on the timeline's axis
    const rt = reportData(loadRun(dir), null).cases[0].telemetry!
    expect(rt.series.map((x) => x.role)).toEqual(['running', 'waiting', 'kvCache', 'generatedTokens', 'promptTokens', 'gpuPower'])
    const power = rt.series.find((x) => x.role === 'gpuPower')!
    expect(power.points.length).toBeGreaterThanOrEqual(2)
    for (const p of power.points) expect(p.y).toBe(500)
    expect(rt.figures.jPerOutputToken).toBe(t.jPerOutputToken)
  })
})
