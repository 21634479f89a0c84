// A capacity case: warm up (which also measures the idle E2E the first probe rate comes from), then run the
// search of capacity.ts with real open-loop Poisson probes. The case's figures (CSV row, TTFT, E2E…) are those of
// the probe at the capacity found; summary.capacity keeps every probe for the throughput–latency curve.
import { getKnobs } from '../../env/index.ts'
import type { ServerRef } from '../../fixtures/server.ts'
import type { CaseIdent } from '../case-hooks.ts'
import { sloFromKnobs } from '../case-run.ts'
import { CaseRun } from '../case-runner.ts'
import { failure } from '../failure.ts'
import { TrialAcc } from '../metrics/load-summary.ts'
import { QuantileAcc } from '../metrics/sketch.ts'
import type { CapacityProbe, CaseMeta, RequestRecord, SloSpec } from '../types.ts'
import { CAPACITY_DEFAULTS, judgeProbe, probeCannotPass, probeOffsets, searchCapacity, type CapacityOptions } from './capacity.ts'
import type { LoadLevel } from './plan.ts'
import { prepareLoad, type LoadCaseOptions } from './run-load.ts'
import { HANDOVER_MS, runSchedule, type ScheduleResult } from './scheduler.ts'
import type { WorkItem } from './workload.ts'

/** A probe kept for the case's own figures: its records (bounded by the probe's size) and schedule. */
interface ProbeRun {
  probe: CapacityProbe
  records: RequestRecord[]
  itemOf: Map<string, WorkItem>
  res: ScheduleResult
  origin: number
  level: LoadLevel
}

export async function runCapacityCase(server: ServerRef, opts: LoadCaseOptions, ident: CaseIdent, log: (s: string) => void = () => {}): Promise<CaseMeta> {
  const slo = opts.slo ?? sloFromKnobs()
  const run = new CaseRun({ kind: 'capacity', server, opts, ident, slo }).open()
  try {
    return await search(run, opts, slo, log)
  } finally {
    run.close()
  }
}

async function search(run: CaseRun, opts: LoadCaseOptions, slo: SloSpec, log: (s: string) => void): Promise<CaseMeta> {
  const knobs = getKnobs()
  const cap: CapacityOptions = opts.capacity === true || opts.capacity === undefined ? {} : opts.capacity
  const probeS = cap.probeS ?? knobs.BENCH_CAPACITY_PROBE_S
  const budgetS = cap.budgetS ?? knobs.BENCH_CAPACITY_BUDGET_S
  const minGood = cap.minGoodFraction ?? CAPACITY_DEFAULTS.minGoodFraction
  const maxClimb = cap.maxClimb ?? CAPACITY_DEFAULTS.maxClimb
  const resolutionPct = cap.resolutionPct ?? CAPACITY_DEFAULTS.resolutionPct
  if (!(probeS > 0) || !(budgetS > 0))
    throw new Error(
      `capacity probeS and budgetS must be > 0 s, got ${probeS} and ${budgetS}: fix BENCH_CAPACITY_PROBE_S / BENCH_CAPACITY_BUDGET_S or the case's capacity option.`,
    )
  if (!(minGood > 0 && minGood <= 1)) throw new Error(`capacity minGoodFraction must be in (0, 1], got ${minGood}: fix the case's capacity option.`)
  const t0 = performance.now()
  // every probe draws from the same prepared prompts; the open shape is filled in per probe
  const base: LoadLevel = {
    suffix: '',
    shape: { mode: 'open', rate: 1, arrival: 'poisson' },
    bounds: { count: 512 },
    trials: 1,
    ...(opts.input ? { input: opts.input } : {}),
    ...(opts.output ? { output: opts.output } : {}),
  }
  const prep = await prepareLoad(run, opts, base)
  // warmup, one at a time: its median E2E is one sequence's service time, and 1 / that the first probe rate
  const idle = new QuantileAcc()
  const warmups = Math.max(1, opts.warmup ?? knobs.BENCH_WARMUP)
  await runSchedule({ mode: 'closed', concurrency: 1 }, { count: warmups }, async (slot) => {
    const { rec } = await prep.send('warmup', slot, 0)
    run.add(rec)
    if (rec.outcome === 'ok' && rec.e2eMs !== null) idle.add(rec.e2eMs)
    return rec
  })
  const idleMs = idle.dist().p50
  const startRate = cap.startRate ?? (idleMs !== null && idleMs > 0 ? 1000 / idleMs : 1)
  log(
    `capacity search: start ${startRate.toFixed(2)} req/s (idle E2E ${idleMs?.toFixed(0) ?? '?'} ms), ${probeS} s probes, resolution ${resolutionPct}%, budget ${budgetS} s`,
  )

  // the measured phase is the whole search (case hooks see all of it); each probe has its own time origin
  await run.measure()
  let best: ProbeRun | undefined
  let gentlest: ProbeRun | undefined
  let longest = 0
  const probe = async (rate: number, index: number): Promise<CapacityProbe> => {
    const offsetsMs = probeOffsets(rate, probeS * 1000, (opts.seed ?? 1) * 7919 + index)
    const level: LoadLevel = {
      ...base,
      shape: { mode: 'open', rate, arrival: 'poisson', offsetsMs, seed: opts.seed ?? 1 },
      bounds: { count: offsetsMs.length },
    }
    const itemOf = new Map<string, WorkItem>()
    const origin = performance.now()
    run.t0 = origin
    const labels = { probe: index + 1, probeRate: Number(rate.toFixed(4)) }
    // no observer: the schedule keeps this probe's records and offsets, which judging it needs
    const res = await runSchedule(
      level.shape,
      level.bounds,
      async (slot) => {
        const { rec, item } = await prep.send('run', slot, index + 1, labels)
        itemOf.set(rec.id, item)
        prep.note(rec)
        return rec
      },
      probeCannotPass(offsetsMs.length, minGood, slo),
      undefined,
      HANDOVER_MS,
    )
    const durationS = (performance.now() - origin) / 1000
    longest = Math.max(longest, durationS)
    const promptTokens = (r: RequestRecord) => r.promptTokensServer ?? itemOf.get(r.id)?.promptTokens ?? 0
    const p = judgeProbe(
      index + 1,
      {
        rate,
        records: res.records,
        dueOffsetsMs: res.dueOffsetsMs,
        releaseOffsetsMs: res.releaseOffsetsMs,
        slo,
        minGoodFraction: minGood,
        maxClimb,
        ...(res.aborted !== undefined ? { aborted: res.aborted } : {}),
        promptTokens,
      },
      durationS,
    )
    const kept: ProbeRun = { probe: p, records: res.records, itemOf, res, origin, level }
    if (p.pass && (best === undefined || rate > best.probe.rate)) best = kept
    if (gentlest === undefined || rate < gentlest.probe.rate) gentlest = kept
    log(
      `capacity probe ${p.index}: ${rate.toFixed(2)} req/s → ${p.pass ? 'pass' : 'fail'} (achieved ${p.achievedRate?.toFixed(2) ?? '?'}/s, good ${(p.goodFraction * 100).toFixed(0)}%, E2E p50 ${p.e2eP50Ms?.toFixed(0) ?? '?'} ms, in flight ${p.inFlightMean.toFixed(1)})${p.pass ? '' : `: ${p.reasons[0]}`}`,
    )
    return p
  }
  // another probe must fit in what is left of the budget, judged by the longest probe so far
  const timeLeft = () => (performance.now() - t0) / 1000 + Math.max(probeS, longest) <= budgetS
  const result = await searchCapacity(probe, {
    startRate,
    resolutionPct,
    minRate: cap.minRate ?? CAPACITY_DEFAULTS.minRate,
    maxRate: cap.maxRate ?? CAPACITY_DEFAULTS.maxRate,
    timeLeft,
  })
  const durationS = (performance.now() - t0) / 1000

  // the case's own figures (CSV row, TTFT, E2E…) are those of the probe at the capacity found, else the gentlest
  const shown = best ?? gentlest
  const dispatchLagMs = new QuantileAcc()
  const trials: TrialAcc[] = []
  if (shown) {
    const acc = new TrialAcc(1, 0, slo, true)
    const w = shown.res.steady ? { startMs: shown.res.steady.start - shown.origin, endMs: shown.res.steady.end - shown.origin } : null
    for (const r of shown.records) {
      run.add(r)
      const item = shown.itemOf.get(r.id)
      acc.add(r, w ?? { startMs: undefined, endMs: Infinity }, r.promptTokensServer ?? item?.promptTokens ?? 0, item?.maxTokens ?? null)
    }
    shown.res.dueOffsetsMs.forEach((d, i) => acc.release(d, shown.res.releaseOffsetsMs[i]))
    for (const l of shown.res.dispatchLagMs) dispatchLagMs.add(l)
    acc.window = w
    acc.maxInFlight = shown.res.maxInFlight
    trials.push(acc)
  }
  const meta = await run.finish({ load: prep.loadAcc(shown?.level ?? base, trials, dispatchLagMs), warnings: prep.warnings() })
  meta.summary.workload = prep.report()
  const at = best?.probe
  meta.summary.capacity = {
    maxRequestRate: result.maxRequestRate,
    failedAt: result.failedAt,
    outputTokPerSec: at?.outputTokPerSec ?? null,
    inFlight: at?.inFlightMean ?? null,
    e2eP50Ms: at?.e2eP50Ms ?? null,
    resolutionPct,
    slo,
    minGoodFraction: minGood,
    probeS,
    budgetS,
    durationS,
    stoppedBy: result.stoppedBy,
    probes: result.probes,
  }
  const s = meta.summary
  // the search judged every probe itself; the probe shown failing its own rate check is not a case failure
  if (result.maxRequestRate === null)
    s.failures.push(
      failure(
        'no_capacity',
        `capacity: no probed rate passed (lowest tried ${Math.min(...result.probes.map((p) => p.rate)).toFixed(3)} req/s: ${result.probes.at(-1)?.reasons.join('; ') ?? 'no probe ran'})`,
      ),
    )
  if (result.stoppedBy === 'budget')
    s.warnings.push(
      `capacity: the ${budgetS} s budget ran out before the ${resolutionPct}% resolution (bracket ${result.maxRequestRate?.toFixed(2) ?? '–'} … ${result.failedAt?.toFixed(2) ?? '–'} req/s); raise BENCH_CAPACITY_BUDGET_S`,
    )
  if (result.stoppedBy === 'max-rate')
    s.warnings.push(`capacity: every probe passed up to the search's maximum ${result.maxRequestRate} req/s (capacity.maxRate)`)
  if (!(slo.ttftMs ?? slo.tpotMs ?? slo.e2eMs))
    s.warnings.push(
      'capacity: no SLO set (BENCH_SLO_TTFT_MS / _TPOT_MS / _E2E_MS), so probes were judged on ok requests, achieved rate and a stable queue only',
    )
  log(
    `capacity: ${result.maxRequestRate?.toFixed(2) ?? 'none'} req/s (next failing ${result.failedAt?.toFixed(2) ?? '–'}), ${result.probes.length} probes in ${durationS.toFixed(0)} s, stopped by ${result.stoppedBy}`,
  )
  return meta
}
