// Builds run folders of the exact shape the reporter writes (bench.csv, summary.json, requests.jsonl),
// with RequestRecords summarised by the real helpers/metrics code, deterministic per seed.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { summarizeCase } from '../../helpers/metrics/case.ts'
import type { RequestRecord, RowContext } from '../../helpers/types.ts'
import { toCsv } from '../../reporters/csv-text.ts'
import { CSV16_COLUMNS } from '../../reporters/fuze-csv.ts'
import { mulberry32 } from '../../helpers/rng.ts'
import type { RunCase, RunSummaryJson } from '../../reporters/run-data.ts'

export interface FakeCase {
  stack: string
  model: string
  name?: string
  variant?: RowContext['variantLabel']
  numGpu?: string
  tokps: number
  ttftMs?: number
  requests?: number
  /** every measured request fails (connect_error) */
  failAll?: boolean
  /** this many measured requests fail (timeout) */
  failSome?: number
  gpuLabel?: string
  endpoint?: string
  /** relative jitter of each request (default 0.05) */
  jitter?: number
}

export interface FakeRunOptions {
  host?: string
  startedAt?: string
  seed?: number
  incomplete?: boolean
  numPredict?: number
}

export function fullNameOf(c: FakeCase): string {
  return `benches/${c.stack}/${c.model.replace(/[/:]/g, '-')}.bench.ts > ${c.model} on ${c.stack} > ${c.name ?? caseName(c)}`
}

function caseName(c: FakeCase): string {
  if (c.name) return c.name
  return c.variant && c.variant !== 'base-as-is' ? `${c.variant} num_gpu=${c.numGpu}` : 'decode 32 tokens'
}

function records(c: FakeCase, rnd: () => number, numPredict: number): RequestRecord[] {
  const out: RequestRecord[] = []
  const n = c.requests ?? 10
  let t = 0
  for (let i = 0; i < n + 2; i++) {
    const phase: RequestRecord['phase'] = i < 2 ? 'warmup' : 'run'
    const j = () => 1 + (c.jitter ?? 0.05) * (2 * rnd() - 1)
    const fail = phase === 'run' && (c.failAll || i - 2 < (c.failSome ?? 0))
    const rate = c.tokps * j() * (phase === 'warmup' ? 0.2 : 1) // cold warmups are slow: they must not count
    const ttft = (c.ttftMs ?? 40) * j()
    const tpot = 1000 / rate
    const e2e = ttft + tpot * (numPredict - 1)
    const base = {
      id: `${caseName(c)}-${i}`,
      caseName: caseName(c),
      phase,
      startedAt: new Date(Date.UTC(2025, 0, 2, 3, 4, 5) + t).toISOString(),
      tStartMs: t,
      queueMs: 0,
      ttfotMs: null,
      chunkGapsMs: [],
      promptTokensServer: 12,
      tokenCountMismatch: false,
      server: {},
    }
    if (fail) {
      out.push({
        ...base,
        outcome: c.failAll ? 'connect_error' : 'timeout',
        error: c.failAll ? 'connect ECONNREFUSED 127.0.0.1:11435' : 'no response within 300 s (TIMEOUT_GEN)',
        ttftMs: null,
        e2eMs: c.failAll ? 1 : 300,
        tpotMs: null,
        itlMs: [],
        outputTokensServer: null,
        outputTokensClient: 0,
        outputTokens: 0,
        decodeTokPerSecClient: null,
        decodeTokPerSecServer: null,
      })
      t += 5
      continue
    }
    out.push({
      ...base,
      outcome: 'ok',
      ttftMs: ttft,
      e2eMs: e2e,
      tpotMs: tpot,
      itlMs: Array.from({ length: numPredict - 1 }, () => tpot * j()),
      outputTokensServer: numPredict,
      outputTokensClient: numPredict,
      outputTokens: numPredict,
      decodeTokPerSecClient: rate * 0.98,
      decodeTokPerSecServer: rate,
    })
    t += e2e + 2
  }
  return out
}

/** Write a run folder under resultsDir and return its path. */
export function makeRun(resultsDir: string, runId: string, cases: FakeCase[], opts: FakeRunOptions = {}): string {
  const dir = join(resultsDir, runId)
  mkdirSync(join(dir, 'logs'), { recursive: true })
  const rnd = mulberry32(opts.seed ?? 1)
  const numPredict = opts.numPredict ?? 32
  const host = opts.host ?? 'testhost'
  const startedAt = opts.startedAt ?? '2025-01-02T03:04:05+00:00'
  const runCases: RunCase[] = []
  const lines: string[] = []
  const csvRows: Array<Record<string, string>> = []
  for (const c of cases) {
    const file = `benches/${c.stack}/${c.model.replace(/[/:]/g, '-')}.bench.ts`
    const recs = records(c, rnd, numPredict)
    for (const r of recs) lines.push(JSON.stringify({ ...r, file }))
    const summary = summarizeCase({ caseName: caseName(c), fullName: fullNameOf(c), file, stack: c.stack, model: c.model }, recs)
    const row: RowContext = {
      endpoint: c.endpoint ?? '127.0.0.1:11435',
      unit: 'proc',
      suffix: 'A',
      baseModel: c.model,
      variantLabel: c.variant ?? 'base-as-is',
      modelTag: c.variant && c.variant !== 'base-as-is' ? `${c.model.replace(/[/:]/g, '-')}-${c.gpuLabel ?? 'nvidia-3090ti'}-ngl${c.numGpu}` : c.model,
      numGpu: c.numGpu ?? 'default',
      numCtx: 4096,
      batch: 32,
      numPredict,
      gpuLabel: c.gpuLabel ?? 'nvidia-3090ti',
      gpuName: 'NVIDIA GeForce RTX 3090 Ti',
      gpuUuid: 'GPU-1234',
      gpuMemMib: '24564',
    }
    const finishedAt = startedAt
    runCases.push({ fullName: fullNameOf(c), file, stack: c.stack, model: c.model, row, summary, finishedAt })
    csvRows.push({
      ts: finishedAt,
      endpoint: row.endpoint,
      unit: row.unit,
      suffix: row.suffix,
      base_model: row.baseModel,
      variant_label: row.variantLabel,
      model_tag: row.modelTag,
      num_gpu: row.numGpu,
      num_ctx: String(row.numCtx),
      batch: String(row.batch),
      num_predict: String(row.numPredict),
      tokens_per_sec: summary.tokensPerSec.toFixed(2),
      gpu_label: row.gpuLabel,
      gpu_name: row.gpuName,
      gpu_uuid: row.gpuUuid,
      gpu_mem_mib: row.gpuMemMib,
    })
  }
  const sum: RunSummaryJson = { runId, host, startedAt, finishedAt: startedAt, incomplete: opts.incomplete ?? false, cases: runCases }
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(sum, null, 1))
  writeFileSync(join(dir, 'requests.jsonl'), `${lines.join('\n')}\n`)
  writeFileSync(join(dir, 'bench.csv'), toCsv(CSV16_COLUMNS, csvRows))
  return dir
}

/** A typical llama.cpp run: base-as-is plus an ngl sweep, for two models. */
export function sweepRun(resultsDir: string, runId: string, opts: FakeRunOptions & { scale?: number } = {}): string {
  const s = opts.scale ?? 1
  const cases: FakeCase[] = []
  for (const [model, peak] of [
    ['gemma3:4b-it-fp16', 60],
    ['qwen2.5:7b-instruct', 38],
  ] as const) {
    cases.push({ stack: 'llama.cpp', model, tokps: peak * 0.8 * s, ttftMs: 55 })
    for (const ngl of [0, 8, 16, 24, 32, 40]) {
      const frac = Math.min(1, ngl / 32)
      cases.push({
        stack: 'llama.cpp',
        model,
        variant: 'optimized',
        numGpu: String(ngl),
        tokps: (6 + (peak - 6) * frac ** 1.6) * s,
        ttftMs: 30 + 60 * (1 - frac),
      })
    }
  }
  return makeRun(resultsDir, runId, cases, opts)
}
