// A capacity case: warm up (which also measures the idle E2E the first probe rate comes from), then run the
// search of capacity.ts with real open-loop Poisson probes. The case's figures (CSV row, TTFT, E2E…) are those of
// the probe at the capacity found; summary.capacity keeps every probe for the throughput–latency curve.
import { getKnobs } from '../../env/index.ts'
import type { ServerRef } from '../../fixtures/server.ts'
import type { CaseIdent } from '../case-hooks.ts'
import { sloFromKnobs } from '../case-run.ts'
import { CaseRun } from '../case-runner.ts'
import { dist } from '../metrics/dist.ts'
import type { CapacityProbe, CaseMeta, RequestRecord, SloSpec } from '../types.ts'
import { CAPACITY_DEFAULTS, judgeProbe, probeCannotPass, probeOffsets, searchCapacity, type CapacityOptions } from './capacity.ts'
import type { LoadLevel } from './plan.ts'
import { prepareLoad, trialInput, type LoadCaseOptions } from './run-load.ts'
import { runSchedule, type ScheduleResult } from './scheduler.ts'

interface ProbeRun {
  probe: CapacityProbe
  records: RequestRecord[]
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
  const warm = await prep.warmup(Math.max(1, opts.warmup ?? knobs.BENCH_WARMUP), 1)
  // the measured phase is the whole search (case hooks see all of it); each probe then has its own time origin
  const idle = dist(warm.filter((r) => r.outcome === 'ok').map((r) => r.e2eMs ?? NaN)).p50
  const startRate = cap.startRate ?? (idle !== null && idle > 0 ? 1000 / idle : 1)
  log(
    `capacity search: start ${startRate.toFixed(2)} req/s (idle E2E ${idle?.toFixed(0) ?? '?'} ms), ${probeS} s probes, resolution ${resolutionPct}%, budget ${budgetS} s`,
  )

  await run.measure()
  const runs: ProbeRun[] = []
  let longest = 0
  const probe = async (rate: number, index: number): Promise<CapacityProbe> => {
    const offsetsMs = probeOffsets(rate, probeS * 1000, (opts.seed ?? 1) * 7919 + index)
    const level: LoadLevel = {
      ...base,
      shape: { mode: 'open', rate, arrival: 'poisson', offsetsMs, seed: opts.seed ?? 1 },
      bounds: { count: offsetsMs.length },
    }
    const mine: RequestRecord[] = []
    const origin = performance.now()
    run.t0 = origin
    const res = await runSchedule(
      level.shape,
      level.bounds,
      prep.sender('run', index + 1, mine, { probe: index + 1, probeRate: Number(rate.toFixed(4)) }),
      probeCannotPass(offsetsMs.length, minGood, slo),
    )
    const durationS = (performance.now() - origin) / 1000
    longest = Math.max(longest, durationS)
    const input = prep.loadInput(level, [])
    const p = judgeProbe(
      index + 1,
      {
        rate,
        records: mine,
        dueOffsetsMs: res.dueOffsetsMs,
        releaseOffsetsMs: res.releaseOffsetsMs,
        slo,
        minGoodFraction: minGood,
        maxClimb,
        ...(res.aborted !== undefined ? { aborted: res.aborted } : {}),
        promptTokens: input.promptTokens,
      },
      durationS,
    )
    runs.push({ probe: p, records: mine, res, origin, level })
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

  // the case's own figures: the probe at the capacity found, else the gentlest probe
  const best = runs.filter((r) => r.probe.pass).sort((a, b) => b.probe.rate - a.probe.rate)[0] ?? [...runs].sort((a, b) => a.probe.rate - b.probe.rate)[0]
  const trials = best ? [trialInput(1, best.records, best.res, best.origin, 0)] : []
  // the summary describes that one probe: keep only its records (requests.jsonl has every probe's)
  const keep = new Set([...warm, ...(best?.records ?? [])])
  const all = [...run.records]
  run.records.splice(0, run.records.length, ...all.filter((r) => keep.has(r)))
  const meta = await run.finish({ load: prep.loadInput(best?.level ?? base, trials), warnings: prep.warnings() })
  meta.summary.workload = prep.report()
  const at = best?.probe.pass ? best.probe : undefined
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
      `capacity: no probed rate passed (lowest tried ${Math.min(...result.probes.map((p) => p.rate)).toFixed(3)} req/s: ${result.probes.at(-1)?.reasons.join('; ') ?? 'no probe ran'})`,
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
