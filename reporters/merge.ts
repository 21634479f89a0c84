// One run folder from the shards of one run (BENCH_SHARD=i/n processes, one host or many). Every number is
// recomputed from the union of the shards' requests.jsonl with the same summarizeCase the shards used, so
// percentiles are exact (never averaged per shard) and counts add up; each shard's own dispatch lag, client
// verdict and start lateness are kept beside the merged case (sections.shards). Folders that are not shards of
// one run — another spec set, other knobs, a missing or repeated shard — are refused, naming the difference.
import { existsSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { caseKey, recordCaseKey } from '../core/case-key.ts'
import { asFailure, failure } from '../helpers/failure.ts'
import { parseShard, shardLabel, type Shard } from '../helpers/load/shard-spec.ts'
import { CaseAccumulator } from '../helpers/metrics/accumulator.ts'
import { median } from '../helpers/metrics/dist.ts'
import { UnionLoad } from '../helpers/load/union-load.ts'
import type { LoadAcc } from '../helpers/metrics/load-summary.ts'
import type { CaseSummary, SloSpec } from '../helpers/types.ts'
import { forEachLine } from './jsonl-lines.ts'
import { caseRequests, loadRun, type RunCase, type RunData, type RunRequest, type RunSummaryJson } from './run-data.ts'

export class MergeRefused extends Error {}

export interface ShardRun {
  run: RunData
  env: Record<string, string>
  shard: Shard
}

/** Knobs that differ between the shards of one run by design. */
const PER_SHARD = new Set(['BENCH_SHARD', 'LOG_DIR', 'BENCH_RESULTS_DIR'])
const SHARD_SUFFIX = /-shard\d+of\d+$/

export function readShard(dir: string): ShardRun {
  const run = loadRun(dir)
  const envPath = join(dir, 'env.json')
  const env = existsSync(envPath) ? (JSON.parse(readFileSync(envPath, 'utf8')) as Record<string, string>) : {}
  const shard = parseShard(env.BENCH_SHARD)
  if (!shard)
    throw new MergeRefused(
      `${dir} is not a shard: its env.json has no BENCH_SHARD=i/n (run id ${run.runId}). fuze-bench merge joins the run folders of the BENCH_SHARD=1/n … n/n processes of one run.`,
    )
  if (!run.summary) throw new MergeRefused(`${dir} has no readable summary.json: this shard's cases cannot be merged. ${run.warnings.join(' ')}`)
  return { run, env, shard }
}

/** Throws MergeRefused unless `shards` are shards 1..n of one run: same n, every index once, same knobs, same cases. */
export function checkShards(shards: ShardRun[]): void {
  if (shards.length === 0) throw new MergeRefused('no run folders to merge')
  const [first] = shards
  const where = (s: ShardRun) => `shard ${shardLabel(s.shard)} (${s.run.dir})`
  for (const s of shards)
    if (s.shard.count !== first.shard.count)
      throw new MergeRefused(`${where(s)} is one of ${s.shard.count} shards but ${where(first)} one of ${first.shard.count}: these are not shards of one run.`)
  const seen = new Map<number, ShardRun>()
  for (const s of shards) {
    const twin = seen.get(s.shard.index)
    if (twin) throw new MergeRefused(`shard ${shardLabel(s.shard)} is given twice: ${twin.run.dir} and ${s.run.dir}. Pass each shard's folder once.`)
    seen.set(s.shard.index, s)
  }
  const missing = Array.from({ length: first.shard.count }, (_, i) => i + 1).filter((i) => !seen.has(i))
  if (missing.length > 0)
    throw new MergeRefused(
      `shard(s) ${missing.map((i) => `${i}/${first.shard.count}`).join(', ')} missing: a merged run needs every shard's folder (the load of the missing ones was never measured here).`,
    )
  for (const s of shards) {
    const keys = new Set([...Object.keys(first.env), ...Object.keys(s.env)])
    for (const k of [...keys].sort())
      if (!PER_SHARD.has(k) && first.env[k] !== s.env[k])
        throw new MergeRefused(
          `${where(s)} ran with ${k}=${s.env[k] ?? '(unset)'} but ${where(first)} with ${k}=${first.env[k] ?? '(unset)'}: shards of one run share every knob except BENCH_SHARD, so these are not shards of one run.`,
        )
    const a = new Set(first.run.summary!.cases.map(caseKey))
    const b = new Set(s.run.summary!.cases.map(caseKey))
    const onlyA = [...a].filter((k) => !b.has(k))
    const onlyB = [...b].filter((k) => !a.has(k))
    if (onlyA.length + onlyB.length > 0)
      throw new MergeRefused(
        `${where(s)} and ${where(first)} measured different cases (${[...onlyB.map((k) => `only in ${shardLabel(s.shard)}: ${k}`), ...onlyA.map((k) => `only in ${shardLabel(first.shard)}: ${k}`)].slice(0, 3).join('; ')}): other specs or -t filters, so not shards of one run.`,
      )
  }
}

type ShardRequest = RunRequest & { case?: string; trial?: number; shard?: string }

function requestsOf(s: ShardRun, c: RunCase): ShardRequest[] {
  return caseRequests(s.run, c) as ShardRequest[]
}

/** Wall-clock ms of the shard's measured-phase origin: sent-at minus offset, median over its measured requests. */
function originOf(reqs: ShardRequest[]): number {
  return median(reqs.filter((r) => r.phase === 'run').map((r) => Date.parse(r.startedAt) - r.tStartMs)) ?? 0
}

interface CasePart {
  s: ShardRun
  c: RunCase
  reqs: ShardRequest[]
  /** ms to add to this shard's timeline to put it on the merged one */
  shift: number
}

/** The merged case's load account, from the parts' summaries: undefined unless every part is a load case. */
function unionOf(parts: CasePart[], slo: SloSpec): UnionLoad | undefined {
  const loads = parts.map((p) => p.c.summary.load)
  if (loads.some((l) => l === undefined)) return undefined
  const l = loads[0]!
  // one trial: the shards' steady windows on the merged timeline (union-load.ts intersects them); a pooled
  // multi-trial window says nothing about each trial, so merged multi-trial cases get none
  return new UnionLoad(
    parts.map((p) => {
      const w = p.c.summary.load?.steadyState ?? null
      return {
        windows: [l.trials === 1 && w ? { startMs: w.startMs + p.shift, endMs: w.endMs + p.shift } : null],
        maxInFlight: [p.c.summary.load?.maxInFlight ?? 0],
        ...(p.c.summary.load?.abortReason !== undefined ? { aborted: p.c.summary.load.abortReason } : {}),
      }
    }),
    l.rampUpS * 1000,
    slo,
  )
}

function loadInputOf(parts: CasePart[], union: UnionLoad, prompts: { input: number[]; output: number[] }): LoadAcc {
  const all = parts.map((p) => p.c.summary.load!)
  const [l] = all
  const sum = (pick: (x: NonNullable<CaseSummary['load']>) => number | undefined) =>
    all.every((x) => pick(x) !== undefined) ? all.reduce((a, x) => a + pick(x)!, 0) : undefined
  const concurrency = sum((x) => x.concurrency)
  const targetRate = sum((x) => x.targetRate)
  const requestBudget = sum((x) => x.requestBudget)
  return {
    level: {
      mode: l.mode,
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(targetRate !== undefined ? { targetRate } : {}),
      ...(l.arrival !== undefined ? { arrival: l.arrival } : {}),
      rampUpS: l.rampUpS,
      ...(l.durationS !== undefined ? { durationS: l.durationS } : {}),
      ...(requestBudget !== undefined ? { requestBudget } : {}),
      ...(l.preset !== undefined ? { preset: l.preset } : {}),
    },
    trials: union.trials(),
    dispatchLagMs: union.dispatchLagMs,
    prompts: {
      source: l.prompts.source,
      lengthSource: l.prompts.lengthSource,
      inputTokens: prompts.input,
      outputTokensRequested: prompts.output,
      outputForced: l.prompts.outputForced,
      forcedBy: l.prompts.forcedBy,
    },
  }
}

/** Prompt lengths kept per merged case for the prompt-set distribution (a workload's prompt set is smaller). */
const PROMPT_SAMPLE = 10_000

/** One merged case while the shards' requests stream past: everything it folds is bounded. */
interface CaseMerge {
  parts: CasePart[]
  acc: CaseAccumulator
  union: UnionLoad | undefined
  prompts: { input: number[]; output: number[] }
}

function startCase(parts: CasePart[]): CaseMerge {
  const slo = parts[0].c.summary.goodput?.slo ?? {}
  return { parts, acc: new CaseAccumulator(slo), union: unionOf(parts, slo), prompts: { input: [], output: [] } }
}

/** A shard's request line into its merged case; returns the line for the merged requests.jsonl. */
function foldLine(m: CaseMerge, part: CasePart, r: ShardRequest): string {
  const rec: ShardRequest = { ...r, tStartMs: r.phase === 'run' ? r.tStartMs + part.shift : r.tStartMs, shard: shardLabel(part.s.shard) }
  m.acc.add(rec)
  m.union?.add(rec)
  if (rec.phase === 'run' && m.prompts.input.length < PROMPT_SAMPLE) {
    if (rec.promptTokensServer !== null) m.prompts.input.push(rec.promptTokensServer)
    m.prompts.output.push(rec.outputTokens)
  }
  return JSON.stringify(rec)
}

function mergeCase(m: CaseMerge): RunCase {
  const { parts } = m
  const first = parts[0].c
  const s0 = first.summary
  const load = m.union ? loadInputOf(parts, m.union, m.prompts) : undefined
  const summary = m.acc.summary(
    { caseName: s0.caseName, fullName: s0.fullName, file: s0.file, stack: s0.stack, model: s0.model },
    { incomplete: parts.some((p) => p.c.summary.incomplete), ...(load ? { load } : {}) },
  )
  const health = parts.map((p) => p.c.summary.clientHealth).filter((h) => h !== undefined)
  if (health.length > 0)
    summary.clientHealth = {
      loopDelayP50Ms: Math.max(...health.map((h) => h.loopDelayP50Ms)),
      loopDelayP99Ms: Math.max(...health.map((h) => h.loopDelayP99Ms)),
      loopDelayMaxMs: Math.max(...health.map((h) => h.loopDelayMaxMs)),
      dispatchLagP99Ms: Math.max(...health.map((h) => h.dispatchLagP99Ms)),
    }
  if (summary.load) {
    const loops = parts.map((p) => p.c.summary.load?.eventLoopDelay).filter((x) => x !== undefined)
    summary.load.eventLoopDelay = {
      p50Ms: Math.max(0, ...loops.map((x) => x.p50Ms)),
      p99Ms: Math.max(0, ...loops.map((x) => x.p99Ms)),
      maxMs: Math.max(0, ...loops.map((x) => x.maxMs)),
    }
    summary.load.clientBound = parts.some((p) => p.c.summary.load?.clientBound)
  }
  // what each shard noticed about its own share (late start, rate, output lengths) stays visible
  for (const p of parts) for (const w of p.c.summary.warnings) summary.warnings.push(`shard ${shardLabel(p.s.shard)}: ${w}`)
  // a shard's own verdict stands: a client-bound shard makes the merged case client-bound too
  for (const p of parts)
    for (const f of p.c.summary.failures.map(asFailure))
      if (f.code === 'client_bound' && !summary.failures.some((x) => asFailure(x).code === 'client_bound'))
        summary.failures.push(failure('client_bound', `shard ${shardLabel(p.s.shard)}: ${f.message}`))
  summary.sections = {
    shards: parts.map((p) => ({
      shard: shardLabel(p.s.shard),
      dir: p.s.run.dir,
      runId: p.s.run.runId,
      host: p.s.run.summary?.host,
      offsetMs: p.shift,
      requests: p.c.summary.counts.requests,
      ok: p.c.summary.counts.ok,
      dispatchLagMs: p.c.summary.load?.dispatchLagMs,
      achievedRate: p.c.summary.load?.achievedRate,
      clientBound: p.c.summary.load?.clientBound ?? p.c.summary.failures.some((f) => asFailure(f).code === 'client_bound'),
      clientHealth: p.c.summary.clientHealth,
      ...(p.c.summary.sections ? { sections: p.c.summary.sections } : {}),
    })),
  }
  const finishedAt = parts
    .map((p) => p.c.finishedAt)
    .sort()
    .at(-1)!
  return { ...first, summary, finishedAt }
}

/**
 * The merged run: `dir` is where it is to go. Every shard's requests.jsonl is streamed once — each line folded into
 * its merged case (counts, percentiles exact up to the accumulator's limit, then within the sketch's stated error;
 * the union's steady window and release rate) and handed to `writeLine` for the merged requests.jsonl — so memory
 * does not grow with the number of requests. `run.requests` is left empty: the merged file is the record.
 */
export function mergeShards(
  shards: ShardRun[],
  dir: string,
  writeLine: (line: string) => void = () => undefined,
): { run: RunData; env: Record<string, string> } {
  checkShards(shards)
  const ordered = [...shards].sort((a, b) => a.shard.index - b.shard.index)
  const first = ordered[0]
  const merges: CaseMerge[] = []
  // where a line goes: its case by key (core/case-key.ts; older lines: by a case name no other case shares), then its shard's part
  const byKey = new Map<string, CaseMerge>()
  const names = first.run.summary!.cases.map((c) => c.summary.caseName)
  for (const c of first.run.summary!.cases) {
    const parts = ordered.map((s) => {
      const sc = s.run.summary!.cases.find((x) => caseKey(x) === caseKey(c))!
      return { s, c: sc, reqs: requestsOf(s, sc), shift: 0 }
    })
    // the shards' clocks agree (one host, or NTP): each timeline goes where its wall-clock origin says
    const origins = parts.map((p) => originOf(p.reqs))
    const t0 = Math.min(...origins)
    parts.forEach((p, i) => (p.shift = origins[i] - t0))
    const m = startCase(parts)
    merges.push(m)
    byKey.set(caseKey(c), m)
    if (names.indexOf(c.summary.caseName) === names.lastIndexOf(c.summary.caseName)) byKey.set(c.summary.caseName, m)
  }
  for (const s of ordered) {
    const path = join(s.run.dir, 'requests.jsonl')
    if (!existsSync(path)) continue
    forEachLine(path, (line) => {
      let r: ShardRequest
      try {
        r = JSON.parse(line) as ShardRequest
      } catch {
        return // an interrupted shard's cut-off last line (loadRun warned about it)
      }
      const m = byKey.get(recordCaseKey(r))
      const part = m?.parts.find((p) => p.s === s)
      if (m && part) writeLine(foldLine(m, part, r))
    })
  }
  const cases = merges.map(mergeCase)
  const sums = ordered.map((s) => s.run.summary!)
  const hosts = [...new Set(sums.map((s) => s.host))]
  const summary: RunSummaryJson = {
    runId: first.run.runId.replace(SHARD_SUFFIX, ''),
    host: hosts.join('+'),
    startedAt: sums.map((s) => s.startedAt).sort()[0],
    finishedAt: sums.some((s) => s.finishedAt === null)
      ? null
      : sums
          .map((s) => s.finishedAt!)
          .sort()
          .at(-1)!,
    incomplete: sums.some((s) => s.incomplete),
    cases,
    skipped: sums.flatMap((s) => s.skipped ?? []).filter((x, i, all) => all.findIndex((y) => y.file === x.file && y.reason === x.reason) === i),
  }
  const { BENCH_SHARD: _, ...env } = first.env
  return {
    run: {
      dir,
      runId: summary.runId,
      summary,
      benchRows: [],
      requests: new Map(),
      warnings: ordered.flatMap((s) => s.run.warnings.map((w) => `${basename(s.run.dir)}: ${w}`)),
    },
    env: { ...env, FUZE_MERGED_FROM: ordered.map((s) => basename(s.run.dir)).join(' ') },
  }
}
