// `fuze-bench compare A B [C…]`: runs (folders or their summary.json) and baselines side by side, per case.
// The first input is the reference: every other input's change is against it, and the gate's verdict is the
// gate's own (runGate with the reference as baseline), not a second set of rules.
import { existsSync, statSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { type MetricDescriptor, METRICS, type Stat, valueIn } from '../helpers/metrics/registry.ts'
import { baselineFromRuns, readBaseline, readBaselineSource } from './baseline.ts'
import { caseKey, sameCase, shortKey } from '../core/case-key.ts'
import { formatTable } from './console-table.ts'
import { type GateResult, runGate } from './gate.ts'
import { fmtChange } from './gate-report.ts'
import type { BaselineCase, LoadedBaseline } from './gate-types.ts'
import { htmlPage, thinCdf } from './html-page.ts'
import type { PeerResult } from './peer-formats/index.ts'
import { peerIdentityAmong, peerRun, tryPeerResult } from './peer-run.ts'
import { caseRequests, isRunDir, loadRun, type RunCase, type RunData } from './run-data.ts'
import { writeFileAtomic } from './safe-write.ts'

export class CompareError extends Error {}

/** One input: a run (with per-request records when its folder has requests.jsonl) or a baseline file. */
export interface CompareInput {
  /** A, B, C… */
  tag: string
  /** The run id (runs) or `baseline <name> (run <id>)`. */
  id: string
  path: string
  run: RunData | null
  baseline: LoadedBaseline | null
  /** A peer tool's result file, read as a one-case run (`run`). */
  peer?: PeerResult
}

/** The columns of the comparison, by metric registry id and stat (names and digits come from the registry). */
const COLUMN_IDS: ReadonlyArray<[id: string, stat?: Stat]> = [
  ['tokps'],
  ['ttft', 'p50'],
  ['ttft', 'p99'],
  ['itl', 'p50'],
  ['e2e', 'p50'],
  ['output_token_throughput'],
]

export interface CompareColumn {
  header: string
  metric: MetricDescriptor
  stat?: Stat
  /** The gate's id for the same number ('ttft_p50'), under which a baseline file keeps it. */
  gateId: string
}

export const COMPARE_COLUMNS: readonly CompareColumn[] = COLUMN_IDS.map(([id, stat]) => {
  const metric = METRICS.find((m) => m.id === id)
  if (!metric) throw new Error(`compare: no metric '${id}' in the registry`)
  return { header: stat ? `${metric.label} ${stat}` : metric.label, metric, stat, gateId: stat ? `${id}_${stat}` : id }
})

/** Reads A/B/C…: a run folder, a run's summary.json, or a baseline file (baselines/<name>.json). */
export function loadInput(path: string, tag: string): CompareInput {
  const p = resolve(path)
  if (!existsSync(p))
    throw new CompareError(`compare ${tag}: ${path} does not exist. Pass a run folder (results/<run id>), its summary.json, or a baseline file.`)
  if (statSync(p).isDirectory()) {
    if (!isRunDir(p))
      throw new CompareError(`compare ${tag}: ${path} is a folder without bench.csv or summary.json, so not a run folder. Pass a folder under results/.`)
    const run = loadRun(p)
    return { tag, id: run.runId, path: p, run, baseline: null }
  }
  if (basename(p) === 'summary.json') {
    const run = loadRun(dirname(p))
    if (!run.summary) throw new CompareError(`compare ${tag}: ${path} could not be read as a summary.json (${run.warnings.join('; ')})`)
    return { tag, id: run.runId, path: p, run, baseline: null }
  }
  let baseline: LoadedBaseline
  try {
    baseline = readBaseline(p)
  } catch (e) {
    // not ours: a peer tool's result file (vllm bench, AIPerf, GuideLLM, inference-perf) is read as a one-case run
    const peer = tryPeerResult(p)
    if ('why' in peer) throw new CompareError(`compare ${tag}: ${(e as Error).message}. Nor is it a peer tool's result: ${peer.why}`)
    const run = peerRun(peer.result)
    return { tag, id: run.runId, path: p, run, baseline: null, peer: peer.result }
  }
  return { tag, id: `baseline ${baseline.name} (run${baseline.runIds.length > 1 ? 's' : ''} ${baseline.runIds.join(', ')})`, path: p, run: null, baseline }
}

/** What the gate needs to judge another input against this one: the gate's own loader (run folder, summary.json, baseline). */
function asBaseline(input: CompareInput): LoadedBaseline {
  if (input.baseline) return input.baseline
  // a peer result as it stands in this comparison (aligned with a case of ours), not as its file names it
  if (input.peer && input.run) return { ...baselineFromRuns([input.run], basename(input.path)), path: input.path }
  return readBaselineSource(input.path)
}

export interface CompareCell {
  value: number | null
  /** Change against the reference (first input) in percent; null for the reference itself, without both values, or n/a. */
  changePct: number | null
  /** Why there is no change % although both values exist: the reference is ≈ 0, so any % of it says nothing. */
  changeNa?: string
}

/** A reference this many times smaller than the value it is compared with counts as ≈ 0 (a change past +9900 %). */
const NEAR_ZERO_RATIO = 100

/** The reference is ≈ 0 against `value`: 0 as shown, or more than 100× smaller (the % of it says nothing). */
function nearZero(value: number, base: number, shown: string): boolean {
  return Number(shown) === 0 || Math.abs(value) > NEAR_ZERO_RATIO * Math.abs(base)
}

/**
 * The change of `value` against the reference `base` in %, or n/a with the reason when the reference is ≈ 0: it shows
 * as 0 at the table's precision, or the value is more than 100× it (a 0.01 ms TTFT against 40 ms would read
 * "+399900%", which says nothing a reader can use).
 */
export function changeAgainst(value: number, base: number, digits: number, unit: string): Pick<CompareCell, 'changePct' | 'changeNa'> {
  const shown = num(base, digits, unit)
  if (nearZero(value, base, shown)) return { changePct: null, changeNa: `reference ${shown}${unit === 'ms' ? ' ms' : ''} ≈ 0` }
  return { changePct: (value / base - 1) * 100 }
}

/** A gate row's change as the verdict column says it: n/a where the reference is ≈ 0, as in the cells. */
function rowChange(r: GateResult['rows'][number]): string {
  return r.now !== null && r.baseline !== null && nearZero(r.now, r.baseline, String(r.baseline)) ? 'n/a (reference ≈ 0)' : fmtChange(r.changePct)
}

export interface CompareCase {
  key: string
  /** The case key without the spec file. */
  name: string
  stack: string
  model: string
  /** One row per input (same order as the inputs); null where that input lacks the case. */
  rows: Array<{ cells: CompareCell[]; ok: number; requests: number; verdict: string } | null>
}

export interface Comparison {
  inputs: Array<Pick<CompareInput, 'tag' | 'id' | 'path'> & { kind: 'run' | 'baseline' }>
  columns: Array<{ header: string; digits: number; unit: string; higherBetter: boolean }>
  cases: CompareCase[]
  /** The gate's result per input after the first (null for baselines: the gate judges runs). */
  gates: Array<GateResult | null>
}

function runCaseValue(c: RunCase, col: CompareColumn): number | null {
  const v = valueIn(c.summary, col.metric, col.stat)
  return v !== null && Number.isFinite(v) ? v : null
}

/** A baseline keeps the gate's metrics per run: their geometric mean over its runs, as the gate compares (others: —). */
function baselineCaseValue(c: BaselineCase, col: CompareColumn): number | null {
  const vs = c.runs.map((r) => (r.values as Record<string, number | null | undefined>)[col.gateId]).filter((v): v is number => typeof v === 'number' && v > 0)
  return vs.length ? Math.exp(vs.reduce((a, v) => a + Math.log(v), 0) / vs.length) : null
}

interface Found {
  key: string
  stack: string
  model: string
  values: Array<number | null>
  ok: number
  requests: number
}

function casesOf(input: CompareInput): Found[] {
  if (input.run)
    return (input.run.summary?.cases ?? []).map((c) => ({
      key: caseKey(c),
      stack: c.stack,
      model: c.model,
      values: COMPARE_COLUMNS.map((col) => runCaseValue(c, col)),
      ok: c.summary.counts.ok,
      requests: c.summary.counts.requests,
    }))
  return (input.baseline?.cases ?? []).map((c) => ({
    key: c.key,
    stack: c.stack,
    model: c.model,
    values: COMPARE_COLUMNS.map((col) => baselineCaseValue(c, col)),
    ok: c.runs.at(-1)?.counts.ok ?? 0,
    requests: c.runs.at(-1)?.counts.requests ?? 0,
  }))
}

/** One word (and the rows behind it) for a case from the gate's result. */
function verdictOf(g: GateResult | null, key: string, inReference: boolean): string {
  if (!g) return '—'
  const fail = g.failures.find((f) => f.caseKey === key)
  if (fail) return `FAIL: ${fail.message}`
  if (!inReference) return 'new case'
  const worse = g.regressions.filter((r) => r.caseKey === key)
  if (worse.length) return `regressed: ${worse.map((r) => `${r.label} ${rowChange(r)}`).join(', ')}`
  const better = g.improvements.filter((r) => r.caseKey === key)
  if (better.length) return `improved: ${better.map((r) => `${r.label} ${rowChange(r)}`).join(', ')}`
  const open = g.rows.filter((r) => r.caseKey === key && r.verdict === 'inconclusive')
  return open.length ? 'inconclusive' : 'unchanged'
}

/**
 * A peer result is one case under the tool's own name; placed beside fuze-bench's runs it takes the identity of the
 * one case of theirs that measured the same model, so the two share a table and the gate judges one against the other.
 */
export function alignPeers(inputs: CompareInput[]): CompareInput[] {
  const ours = inputs.flatMap((x) => (x.peer ? [] : (x.run?.summary?.cases ?? [])))
  return inputs.map((x) => {
    const as = x.peer && peerIdentityAmong(x.peer, ours)
    return x.peer && as ? { ...x, run: peerRun(x.peer, as) } : x
  })
}

/** `inputs` as `alignPeers` leaves them (the CLI aligns once, so the page's samples find the same keys). */
export function compareInputs(inputs: CompareInput[], env: NodeJS.ProcessEnv = process.env): Comparison {
  if (inputs.length < 2) throw new CompareError('compare needs at least two inputs (A B [C…]): run folders, summary.json files or baseline files.')
  const [ref, ...others] = inputs
  const reference = asBaseline(ref)
  const gates = [null, ...others.map((x) => (x.run ? runGate(x.run, { baseline: reference, env }) : null))]
  const found = inputs.map(casesOf)
  const keys: string[] = []
  for (const list of found) for (const c of list) if (!keys.some((k) => sameCase(k, c.key))) keys.push(c.key)
  const cases = keys.map((key): CompareCase => {
    const per = found.map((list) => list.find((c) => sameCase(c.key, key)))
    const first = per.find((c) => c !== undefined)!
    const refValues = per[0]?.values
    return {
      key,
      name: shortKey(key),
      stack: first.stack,
      model: first.model,
      rows: per.map((c, i) => {
        if (!c) return null
        const cells = c.values.map((value, j): CompareCell => {
          const base = refValues?.[j] ?? null
          if (i === 0 || value === null || base === null) return { value, changePct: null }
          const col = COMPARE_COLUMNS[j]
          return { value, ...changeAgainst(value, base, col.metric.digits, col.metric.unit) }
        })
        return { cells, ok: c.ok, requests: c.requests, verdict: i === 0 ? 'reference' : verdictOf(gates[i], key, per[0] !== undefined) }
      }),
    }
  })
  return {
    inputs: inputs.map((x) => ({ tag: x.tag, id: x.id, path: x.path, kind: x.run ? 'run' : 'baseline' })),
    columns: COMPARE_COLUMNS.map((c) => ({ header: c.header, digits: c.metric.digits, unit: c.metric.unit, higherBetter: c.metric.better === 'higher' })),
    cases,
    gates,
  }
}

function num(v: number | null, digits: number, unit: string): string {
  if (v === null) return '—'
  if (unit !== 'ms') return v.toFixed(Math.min(digits, 1))
  return v < 10 ? v.toFixed(2) : v < 1000 ? v.toFixed(1) : v.toFixed(0)
}

/** The console form: who is who, then one side-by-side table per case. */
export function renderCompareConsole(cmp: Comparison): string {
  const out: string[] = []
  for (const x of cmp.inputs) out.push(`${x.tag} = ${x.id}  (${x.path})`)
  out.push(`changes are against ${cmp.inputs[0].tag}; the gate column is fuze-bench's regression gate with ${cmp.inputs[0].tag} as the baseline`)
  const head = ['', ...cmp.columns.map((c) => c.header), 'ok/n', 'gate']
  for (const c of cmp.cases) {
    out.push('', `== ${c.stack} ${c.model} › ${c.name} ==`)
    const rows = c.rows.map((r, i) => {
      const tag = cmp.inputs[i].tag
      if (!r) return [tag, ...cmp.columns.map(() => '—'), '—', 'not in this input']
      const cells = r.cells.map((cell, j) => {
        const col = cmp.columns[j]
        const change = cell.changeNa !== undefined ? ` (n/a: ${cell.changeNa})` : cell.changePct === null ? '' : ` (${fmtChange(cell.changePct)})`
        return `${num(cell.value, col.digits, col.unit)}${change}`
      })
      return [tag, ...cells, `${r.ok}/${r.requests}`, r.verdict]
    })
    out.push(formatTable(head, rows, (i) => i > 0 && i <= cmp.columns.length + 1))
  }
  return out.join('\n')
}

/** Per-request samples of one run case for the overlaid distributions (ok measured requests). */
export function caseSamples(input: CompareInput, key: string): { ttft: number[]; itl: number[]; e2e: number[] } | null {
  const c = input.run?.summary?.cases.find((x) => sameCase(caseKey(x), key))
  if (!input.run || !c) return null
  const ok = caseRequests(input.run, c).filter((r) => r.outcome === 'ok')
  return {
    ttft: ok.map((r) => r.ttftMs ?? Number.NaN),
    itl: ok.flatMap((r) => r.itlMs),
    e2e: ok.map((r) => r.e2eMs ?? Number.NaN),
  }
}

export interface CompareHtmlData extends Omit<Comparison, 'gates'> {
  generatedAt: string
  /** Per case, per input: thinned ECDF samples (null: a baseline file or a run without requests.jsonl). */
  dists: Array<Array<{ ttft: number[]; itl: number[]; e2e: number[] } | null>>
}

export function compareHtmlData(cmp: Comparison, inputs: CompareInput[]): CompareHtmlData {
  const { gates: _gates, ...rest } = cmp
  return {
    ...rest,
    generatedAt: new Date().toISOString(),
    dists: cmp.cases.map((c) =>
      inputs.map((x) => {
        const s = caseSamples(x, c.key)
        return s && s.ttft.length > 0 ? { ttft: thinCdf(s.ttft), itl: thinCdf(s.itl), e2e: thinCdf(s.e2e) } : null
      }),
    ),
  }
}

export function writeCompareHtml(path: string, cmp: Comparison, inputs: CompareInput[]): string {
  writeFileAtomic(path, htmlPage(`fuze-bench compare · ${cmp.inputs.map((x) => x.id).join(' vs ')}`, compareHtmlData(cmp, inputs), 'compare.js'))
  return path
}
