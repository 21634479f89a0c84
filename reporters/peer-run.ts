// A peer tool's result file (vllm bench, AIPerf, GuideLLM, inference-perf; read by reporters/peer-formats) as a
// fuze-bench run in memory — one case, its requests, the summary fuze-bench's summariser makes of them — so
// `fuze-bench compare` and BENCH_BASELINE take a user's old peer results beside our runs.
import { basename } from 'node:path'
import { caseKey } from '../core/case-key.ts'
import type { RowContext } from '../helpers/types.ts'
import { peerCase, readPeerResult, type PeerResult } from './peer-formats/index.ts'
import { groupRequests, type RunData } from './run-data.ts'

/** The peer result at `path`, or undefined when the file is no peer tool's result (the reason is for messages). */
export function tryPeerResult(path: string): { result: PeerResult } | { why: string } {
  try {
    return { result: readPeerResult(path) }
  } catch (e) {
    return { why: (e as Error).message }
  }
}

/** Where the peer case is known: the tool's own (`<file> > <model> on <tool> > <tool> run`) or a fuze-bench case's. */
export interface PeerIdentity {
  file: string
  fullName: string
}

/**
 * The identity a peer result takes beside fuze-bench's cases: that of the one case of theirs that measured the same
 * model (undefined when none or several did: then it keeps its own).
 */
export function peerIdentityAmong(result: PeerResult, cases: readonly (PeerIdentity & { model: string })[]): PeerIdentity | undefined {
  const model = peerCase(result).identity.model
  const same = cases.filter((c) => c.model === model)
  return new Set(same.map(caseKey)).size === 1 ? { file: same[0].file, fullName: same[0].fullName } : undefined
}

/** The peer result as a one-case run; `as` gives the case the identity of the fuze-bench case it stands beside. */
export function peerRun(result: PeerResult, as?: PeerIdentity): RunData {
  const pc = peerCase(result)
  const id = as ?? { file: pc.identity.file, fullName: pc.identity.fullName }
  const row: RowContext = {
    endpoint: '',
    unit: 'external',
    suffix: 'X',
    baseModel: pc.identity.model,
    variantLabel: 'base-as-is',
    modelTag: pc.identity.model,
    numGpu: 'default',
    numCtx: 0,
    batch: 0,
    numPredict: 0,
    gpuLabel: '',
    gpuName: '',
    gpuUuid: '',
    gpuMemMib: '',
  }
  const runId = `${result.tool}${result.version ? ` ${result.version}` : ''}: ${basename(result.source)}`
  const starts = pc.records
    .map((r) => r.startedAt)
    .filter(Boolean)
    .sort()
  return {
    dir: result.source,
    runId,
    summary: {
      runId,
      host: '',
      startedAt: starts[0] ?? '',
      finishedAt: starts.at(-1) ?? '',
      incomplete: false,
      cases: [{ ...id, stack: result.tool, model: pc.identity.model, row, summary: { ...pc.summary, caseName: pc.identity.caseName }, finishedAt: '' }],
      skipped: [],
    },
    benchRows: [],
    requests: groupRequests(pc.records.map((r) => ({ ...r, file: id.file, case: id.fullName }))),
    warnings: pc.missing.map((m) => `${result.tool} (${caseKey(id)}): ${m}`),
  }
}
