// The standalone telemetry parts against known truths: Prometheus text, power integration, counters, cost,
// /proc CPU time and RAPL counters (a powercap tree of our own: this machine's kernel exposes none).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { counterAt, counterDelta, integratePower, perToken, usdPerMillionTokens } from '../../helpers/telemetry/energy.ts'
import { processCpuSeconds, raplJoules, raplZones, readRapl } from '../../helpers/telemetry/host.ts'
import { nvidiaSmiArgs, parseGpuLine } from '../../helpers/telemetry/nvidia-smi.ts'
import { parsePromText, seriesKey, sumOf } from '../../helpers/telemetry/prom-text.ts'

describe('Prometheus text', () => {
  it('keeps every sample under its name and labels, skips comments and malformed lines', () => {
    const text = [
      '# HELP llamacpp:tokens_predicted_total Number of generation tokens processed.',
      '# TYPE llamacpp:tokens_predicted_total counter',
      'llamacpp:tokens_predicted_total 160',
      'vllm:num_requests_running{model_name="m"} 2',
      'vllm:num_requests_running{model_name="n"} 1.5e0',
      'x_bucket{le="+Inf",path="/a}b"} 7 1700000000000',
      'x_bucket{le="0.5"} +Inf',
      'garbage line without value',
      'y NaN',
      '',
    ].join('\n')
    const s = parsePromText(text)
    expect(s.map(seriesKey)).toEqual([
      'llamacpp:tokens_predicted_total',
      'vllm:num_requests_running{model_name="m"}',
      'vllm:num_requests_running{model_name="n"}',
      'x_bucket{le="+Inf",path="/a}b"}',
      'x_bucket{le="0.5"}',
    ])
    expect(s.map((x) => x.value)).toEqual([160, 2, 1.5, 7, Number.POSITIVE_INFINITY])
    const values = Object.fromEntries(s.map((x) => [seriesKey(x), x.value]))
    expect(sumOf(values, 'vllm:num_requests_running')).toBe(3.5)
    expect(sumOf(values, 'vllm:absent')).toBeUndefined()
  })
})

describe('energy arithmetic', () => {
  it('integrates a constant draw exactly however irregular the readings are', () => {
    const rs = [0, 13, 500, 501, 1700, 1999].map((t) => ({ t, v: 250 }))
    expect(integratePower(rs, 100, 2100)).toBeCloseTo(250 * 2, 9)
    // window before the first and after the last reading: held values
    expect(integratePower([{ t: 1000, v: 100 }], 0, 3000)).toBeCloseTo(300, 9)
  })

  it('integrates a stepped trace to its analytic energy, and N/A readings are not zeros', () => {
    // 100 W for 1 s, 300 W for 2 s, 50 W for 1 s, readings every 250 ms
    const p = (t: number) => (t < 1000 ? 100 : t < 3000 ? 300 : 50)
    const rs = Array.from({ length: 17 }, (_, i) => ({ t: i * 250, v: p(i * 250) }))
    expect(integratePower(rs, 0, 4000)).toBeCloseTo(100 + 600 + 50, 9)
    expect(integratePower([{ t: 0, v: null }], 0, 1000)).toBeNull()
    expect(integratePower(rs, 5, 5)).toBeNull()
  })

  it('reads a counter at the window edges by linear interpolation', () => {
    const rs = [
      { t: 0, v: 10 },
      { t: 1000, v: 20 },
      { t: 2000, v: 40 },
    ]
    expect(counterAt(rs, 500)).toBe(15)
    expect(counterAt(rs, -5)).toBe(10)
    expect(counterAt(rs, 9999)).toBe(40)
    expect(counterDelta(rs, 500, 1500)).toBe(15)
    expect(counterDelta([], 0, 1)).toBeNull()
  })

  it('gives J/token and $ per 1M tokens from their definitions; unknowns stay null, never 0', () => {
    expect(perToken(1000, 250)).toBe(4)
    expect(perToken(null, 250)).toBeNull()
    expect(perToken(1000, 0)).toBeNull()
    // $3.60/h for 10 s = $0.01 for 1,000 tokens → $10 per 1M
    expect(usdPerMillionTokens(3.6, 10_000, 1000)).toBeCloseTo(10, 9)
    expect(usdPerMillionTokens(undefined, 10_000, 1000)).toBeNull()
    expect(usdPerMillionTokens(3.6, 10_000, 0)).toBeNull()
  })
})

describe('nvidia-smi lines', () => {
  it('asks for the five fields once, streaming every interval, for the given GPUs', () => {
    expect(nvidiaSmiArgs([0, 1], 250)).toEqual([
      '--query-gpu=power.draw,utilization.gpu,memory.used,clocks.sm,temperature.gpu',
      '--format=csv,noheader,nounits',
      '-lms',
      '250',
      '-i',
      '0,1',
    ])
  })
  it('parses readings; [N/A] fields are null and other output is not a reading', () => {
    expect(parseGpuLine('312.45, 97, 40211, 1980, 71')).toEqual({ powerW: 312.45, utilPct: 97, memMib: 40211, smMhz: 1980, tempC: 71 })
    expect(parseGpuLine('[N/A], 3, 500, [Not Supported], 40')).toEqual({ powerW: null, utilPct: 3, memMib: 500, smMhz: null, tempC: 40 })
    expect(parseGpuLine('No devices were found')).toBeUndefined()
    expect(parseGpuLine('a, b, c, d, e')).toBeUndefined()
  })
})

describe('CPU host', () => {
  it('reads this process’s own CPU seconds from /proc', () => {
    const before = processCpuSeconds(process.pid)
    expect(before).toBeGreaterThan(0)
    let x = 0
    for (let i = 0; i < 3e7; i++) x += i % 7
    expect(x).toBeGreaterThan(0)
    expect(processCpuSeconds(process.pid)!).toBeGreaterThanOrEqual(before!)
    expect(processCpuSeconds(2 ** 22 + 12345)).toBeUndefined()
  })

  it('finds readable RAPL package zones (not their sub-zones) and unwraps the counter', () => {
    const root = mkdtempSync(join(tmpdir(), 'fuze-powercap-'))
    const zone = (name: string, label: string, uj: string, max = '262143328850') => {
      mkdirSync(join(root, name))
      writeFileSync(join(root, name, 'name'), `${label}\n`)
      writeFileSync(join(root, name, 'energy_uj'), `${uj}\n`)
      writeFileSync(join(root, name, 'max_energy_range_uj'), `${max}\n`)
    }
    zone('intel-rapl:0', 'package-0', '1000000')
    zone('intel-rapl:0:0', 'core', '5')
    zone('intel-rapl:1', 'package-1', '2500000')
    zone('intel-rapl-mmio:0', 'package-0', '7')
    zone('intel-rapl:2', 'psys', '9')
    const zones = raplZones(root)
    expect(zones.map((z) => z.name)).toEqual(['intel-rapl:0 package-0', 'intel-rapl:1 package-1'])
    expect(readRapl(zones)).toEqual([1_000_000, 2_500_000])
    expect(raplJoules(1_000_000, 3_500_000, 262143328850)).toBe(2.5)
    expect(raplJoules(262143328850 - 1_000_000, 2_000_000, 262143328850)).toBe(3)
    expect(raplZones(join(root, 'absent'))).toEqual([])
  })
})
