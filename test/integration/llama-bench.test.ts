// The foundation's promises on a real llama-server and the generated tiny model, run as a user runs them.
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { freePort } from '../../fixtures/ports.ts'
import { CSV16_HEADER_LINE } from '../../reporters/csv16.ts'
import { onlyRunDir, startBench } from '../support/run-bench.ts'

// the test suite loads the machine itself; whether a run is client-bound is tested on its own (test/protocols, test/reporters)
const SMALL_RUN = { BENCH_WARMUP: '1', BENCH_REQUESTS: '3', BENCH_NUM_PREDICT: '16', BENCH_ALLOW_CLIENT_BOUND: '1' }

describe('llama.cpp bench on the generated tiny model', () => {
  it('benchmarks a real llama-server and writes bench.csv, summary.json and requests.jsonl', async () => {
    const port = String(await freePort())
    const { child, resultsDir } = startBench(['--project', 'llama.cpp', 'tiny-random'], { ...SMALL_RUN, PORT_A: port })
    const r = await child
    expect(r.exitCode, r.all).toBe(0)
    expect(r.all).toContain('decode short prompt')
    // a progress line per case as it finishes, before vitest's table for the file
    const line =
      /^[✓!] llama\.cpp tiny-random › tiny-random on llama\.cpp > (decode short prompt|prefill long prompt) · \d+\.\d tok\/s · TTFT p50 \d+\.\d+ ms · 3\/3 ok · \d+\.\d s( — client-bound: .*)?$/
    const progress = r.all.split('\n').filter((l) => line.test(l))
    expect(progress.map((l) => line.exec(l)?.[1])).toEqual(['decode short prompt', 'prefill long prompt'])
    expect(r.all.indexOf(progress[1])).toBeLessThan(r.all.indexOf('benches/llama.cpp/tiny-random.bench.ts'))
    const dir = onlyRunDir(resultsDir)
    const csv = readFileSync(join(dir, 'bench.csv'), 'utf8')
    expect(csv.startsWith(CSV16_HEADER_LINE)).toBe(true)
    expect(CSV16_HEADER_LINE).toBe(
      'ts,endpoint,unit,suffix,base_model,variant_label,model_tag,num_gpu,num_ctx,batch,num_predict,tokens_per_sec,gpu_label,gpu_name,gpu_uuid,gpu_mem_mib\n',
    )
    const rows = csv.trim().split('\n').slice(1)
    expect(rows).toHaveLength(2)
    for (const row of rows) {
      const f = row.split(',')
      expect(f).toHaveLength(16)
      expect(f[1]).toBe(`127.0.0.1:${port}`)
      expect(f[2]).toBe('proc')
      expect(f[4]).toBe('tiny-random')
      expect(Number(f[11])).toBeGreaterThan(0)
      expect(f[11]).toMatch(/^\d+\.\d{2}$/)
    }
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))
    expect(summary.incomplete).toBe(false)
    expect(summary.cases).toHaveLength(2)
    for (const c of summary.cases) {
      expect(c.summary.ttftMs.p50).toBeGreaterThan(0)
      expect(c.summary.ttftMs.p99).toBeGreaterThanOrEqual(c.summary.ttftMs.p50)
      expect(c.summary.counts.requests).toBe(3)
    }
    const decode = summary.cases.find((c: { fullName: string }) => c.fullName.includes('decode'))
    // ignore_eos: exactly the requested tokens, counted by the server
    expect(decode.summary.outputTokensServerTotal).toBe(3 * 16)
    const lines = readFileSync(join(dir, 'requests.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines).toHaveLength(2 * (1 + 3))
    expect(lines.filter((l) => l.phase === 'warmup')).toHaveLength(2)
    expect(readdirSync(join(dir, 'logs')).some((f) => /^llama\.cpp-X-\d+\.log$/.test(f))).toBe(true)
  })

  it('-t prefill runs only the prefill case', async () => {
    const { child, resultsDir } = startBench(['--project', 'llama.cpp', 'tiny-random', '-t', 'prefill'], {
      ...SMALL_RUN,
      PORT_A: String(await freePort()),
    })
    const r = await child
    expect(r.exitCode, r.all).toBe(0)
    const rows = readFileSync(join(onlyRunDir(resultsDir), 'bench.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
    expect(rows).toHaveLength(1)
    expect(rows[0].split(',')[10]).toBe('16')
  })

  it('a bad knob stops the run before any server starts, naming the variable', async () => {
    const { child, resultsDir } = startBench(['--project', 'llama.cpp'], { BENCH_NUM_PREDICT: 'abc' })
    const r = await child
    expect(r.exitCode).not.toBe(0)
    expect(r.all).toContain(`BENCH_NUM_PREDICT='abc'`)
    expect(r.all).toContain('nothing was started')
    // no run folder, so certainly no server log
    expect(readdirSync(resultsDir)).toEqual([])
  })

  it('an unknown --project exits non-zero', async () => {
    const { child } = startBench(['--project', 'no-such-stack'])
    const r = await child
    expect(r.exitCode).not.toBe(0)
  })
})
