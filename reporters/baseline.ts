// Baselines: per case, the gate's values of one or more earlier runs (the gate estimates run-to-run
// noise from their spread, gate-evidence.ts). Plain JSON so it can be committed (baselines/<name>.json)
// and reviewed in a diff. BENCH_BASELINE may also name what users already have: a run folder, a run's
// summary.json, or a results folder (its newest runs, per case).
import { existsSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { caseKey, sameCase } from '../core/case-key.ts'
import { FuzeError } from '../helpers/errors.ts'
import { caseMetrics } from './gate.ts'
import { BASELINE_FORMAT, BASELINE_FORMAT_V1, type Baseline, type BaselineCase, type LoadedBaseline, type MetricId, type SampleId } from './gate-types.ts'
import { peerIdentityAmong, peerRun, tryPeerResult } from './peer-run.ts'
import { isRunDir, listRunDirs, loadRun, type RunData } from './run-data.ts'
import { writeFileAtomic } from './safe-write.ts'

export type { Baseline, BaselineCase }
export { BASELINE_FORMAT }

/** A baseline that cannot be read or made; the message says which path and what to do. */
export class BaselineError extends FuzeError {}

/** Runs a results folder contributes per case when BENCH_BASELINE names the folder (BENCH_BASELINE_RUNS). */
export const DEFAULT_HISTORY_RUNS = 3

/** Newest run folders of a results folder that are read to find each case's last runs. */
const HISTORY_SCAN = 50

const SAVE_HINT = 'create one with `npx fuze-bench baseline save RUN [RUN…] --name main`'

/**
 * A baseline from one or more runs (oldest first). A case's baseline keeps every run that measured it
 * with at least one successful request; `perCase` caps that to the newest N runs of each case.
 */
export function baselineFromRuns(runs: readonly RunData[], name: string, perCase = Number.POSITIVE_INFINITY): Baseline {
  const usable = runs.filter((r) => r.summary && r.summary.cases.length > 0)
  if (usable.length === 0)
    throw new BaselineError(
      `${runs.map((r) => r.dir).join(', ') || 'no run'}: no cases in summary.json; a baseline needs a finished run with at least one measured case`,
    )
  const byKey = new Map<string, BaselineCase>()
  for (const run of usable) {
    for (const c of run.summary!.cases) {
      if (c.summary.counts.ok === 0) continue
      const m = caseMetrics(run, c)
      let bc = byKey.get(caseKey(c))
      if (!bc) {
        bc = {
          key: caseKey(c),
          stack: c.stack,
          model: c.model,
          variantLabel: c.row.variantLabel,
          modelTag: c.row.modelTag,
          numGpu: String(c.row.numGpu),
          gpuLabel: c.row.gpuLabel,
          runs: [],
        }
        byKey.set(caseKey(c), bc)
      }
      bc.runs.push({
        runId: run.runId,
        values: m.values,
        ...(Object.keys(m.trials).length ? { trials: m.trials } : {}),
        counts: { requests: m.requests, ok: m.ok, failed: m.failed },
        ...(m.loopDelayP99Ms !== undefined ? { loopDelayP99Ms: m.loopDelayP99Ms } : {}),
      })
    }
  }
  const cases = [...byKey.values()].map((c) => ({
    ...c,
    runs: c.runs.slice(-perCase),
  }))
  const runIds = [...new Set(cases.flatMap((c) => c.runs.map((r) => r.runId)))]
  return {
    format: BASELINE_FORMAT,
    name,
    createdAt: new Date().toISOString(),
    host: usable.at(-1)!.summary!.host,
    runIds: usable.map((r) => r.runId).filter((id) => runIds.includes(id)),
    cases,
  }
}

/** One run as a baseline (kept for callers that have a single run). */
export function baselineFromRun(run: RunData, name: string): Baseline {
  return baselineFromRuns([run], name)
}

export function baselinePath(rootDir: string, name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name))
    throw new BaselineError(`baseline name '${name}' may only contain letters, digits, '.', '_' and '-' (it becomes baselines/<name>.json)`)
  return join(rootDir, 'baselines', `${name}.json`)
}

/**
 * BENCH_UPDATE_BASELINE: the run joins the baseline file at `path` (created when missing), and each case keeps its
 * newest `keep` runs, so an accepted baseline stays a multi-run one instead of shrinking to the last run.
 */
export function updateBaseline(path: string, run: RunData, keep = DEFAULT_HISTORY_RUNS): Baseline {
  const fresh = baselineFromRuns([run], basename(path, '.json'))
  if (!existsSync(path)) return fresh
  if (statSync(path).isDirectory())
    throw new BaselineError(`BENCH_UPDATE_BASELINE writes a baseline file, but ${path} is a folder; point BENCH_BASELINE at a file such as baselines/main.json`)
  const old = readBaseline(path)
  // a case saved before keys carried the spec file takes the file-bearing key of the case it is
  const byKey = new Map(old.cases.map((c) => [c.key, c]))
  for (const c of fresh.cases) {
    const prev = old.cases.find((o) => sameCase(o.key, c.key))
    if (prev) byKey.delete(prev.key)
    byKey.set(c.key, { ...c, runs: [...(prev?.runs ?? []), ...c.runs].slice(-keep) })
  }
  const cases = [...byKey.values()]
  const used = new Set(cases.flatMap((c) => c.runs.map((r) => r.runId)))
  return { ...fresh, name: old.name, runIds: [...old.runIds, run.runId].filter((id, i, all) => used.has(id) && all.indexOf(id) === i), cases }
}

export function writeBaseline(path: string, b: Baseline): void {
  writeFileAtomic(path, `${JSON.stringify(b, null, 1)}\n`)
}

interface V1Case extends Omit<BaselineCase, 'runs'> {
  values: Record<MetricId, number | null>
  samples: Record<SampleId, number[]>
  counts: { requests: number; ok: number; failed: number }
}

/** A format-1 baseline (one run, with per-request samples) in today's shape. */
function fromV1(b: { name: string; createdAt: string; runId: string; host: string; cases: V1Case[] }): Baseline {
  return {
    format: BASELINE_FORMAT,
    name: b.name,
    createdAt: b.createdAt,
    host: b.host,
    runIds: [b.runId],
    cases: b.cases.map(({ values, samples: _samples, counts, ...id }) => ({
      ...id,
      runs: [{ runId: b.runId, values, counts }],
    })),
  }
}

/** Read a baseline file (format 2, or format 1 as one run). */
export function readBaseline(path: string): LoadedBaseline {
  if (!existsSync(path))
    throw new BaselineError(
      `baseline ${path} does not exist (BENCH_BASELINE or --baseline). ${cap(SAVE_HINT)}, point it at a run folder or its summary.json, or unset BENCH_BASELINE.`,
    )
  let b: { format?: unknown; cases?: unknown; runId?: unknown }
  try {
    b = JSON.parse(readFileSync(path, 'utf8')) as typeof b
  } catch (err) {
    throw new BaselineError(`baseline file ${path} is not valid JSON (${(err as Error).message}); re-create it with \`npx fuze-bench baseline save\``)
  }
  if (b?.format === BASELINE_FORMAT && Array.isArray(b.cases)) return { ...(b as Baseline), path }
  if (b?.format === BASELINE_FORMAT_V1 && Array.isArray(b.cases)) return { ...fromV1(b as Parameters<typeof fromV1>[0]), path }
  throw new BaselineError(
    `${path} is neither a fuze-bench baseline (expected "format": "${BASELINE_FORMAT}") nor a run's summary.json; pass a baseline file, a run folder or its summary.json, or ${SAVE_HINT}`,
  )
}

const cap = (s: string) => s[0].toUpperCase() + s.slice(1)

const looksLikeSummary = (path: string) => {
  try {
    const j = JSON.parse(readFileSync(path, 'utf8')) as {
      runId?: unknown
      cases?: unknown
      format?: unknown
    }
    return j.format === undefined && typeof j.runId === 'string' && Array.isArray(j.cases)
  } catch {
    return false
  }
}

export interface BaselineSourceOptions {
  /** The run being judged: never its own baseline when the source is a results folder. */
  excludeRunDir?: string
  /** Newest runs per case taken from a results folder (BENCH_BASELINE_RUNS, default 3). */
  historyRuns?: number
  /** A peer tool's result file stands for the case of this run that measured its model (when exactly one did). */
  alignTo?: RunData
}

/**
 * What BENCH_BASELINE names, as a baseline: a baseline file; a run folder or its summary.json (that run,
 * one run); or a results folder holding run folders (the newest `historyRuns` runs of each case).
 */
export function readBaselineSource(source: string, opts: BaselineSourceOptions = {}): LoadedBaseline {
  const path = resolve(source)
  if (!existsSync(path)) return readBaseline(path) // the "does not exist" paragraph
  if (statSync(path).isDirectory()) {
    if (isRunDir(path)) return { ...baselineFromRuns([loadRun(path)], basename(path)), path }
    const exclude = opts.excludeRunDir ? resolve(opts.excludeRunDir) : undefined
    const runs = listRunDirs(path).filter((d) => resolve(d) !== exclude)
    if (runs.length === 0)
      throw new BaselineError(
        `baseline ${path} is a folder with no fuze-bench run in it (no bench.csv or summary.json, nor run folders holding them); pass a run folder, its summary.json or a baseline file`,
      )
    const k = opts.historyRuns ?? DEFAULT_HISTORY_RUNS
    // a case measured in the newest HISTORY_SCAN runs is found; older history is not read (each run's files are parsed)
    const recent = runs.slice(-HISTORY_SCAN)
    return {
      ...baselineFromRuns(
        recent.map((d) => loadRun(d)),
        `last ${k} runs of ${basename(path)}`,
        k,
      ),
      path,
    }
  }
  if (basename(path) === 'summary.json' || looksLikeSummary(path))
    return {
      ...baselineFromRuns([loadRun(dirname(path))], basename(dirname(path))),
      path,
    }
  try {
    return readBaseline(path)
  } catch (e) {
    // a peer tool's result file (vllm bench, AIPerf, GuideLLM, inference-perf): one run of one case
    const peer = tryPeerResult(path)
    if ('why' in peer) throw new BaselineError(`${(e as Error).message}. Nor is it a peer tool's result file: ${peer.why}`)
    const as = peerIdentityAmong(peer.result, opts.alignTo?.summary?.cases ?? [])
    return { ...baselineFromRuns([peerRun(peer.result, as)], basename(path)), path }
  }
}
