// From a case's options, the knobs and a preset to the list of load levels (one bench task each), or the
// verdict that the case is plain sequential (today's exact-iterations path).
import type { Knobs } from '../../env/index.ts'
import type { SloSpec } from '../types.ts'
import type { ArrivalProcess } from './arrivals.ts'
import type { CapacityOptions } from './capacity.ts'
import type { ConversationOptions } from './conversation.ts'
import { presetOf, type PresetName } from './presets.ts'
import type { LoadBounds, LoadShape } from './scheduler.ts'
import type { Shard } from './shard-spec.ts'
import type { SharedPrefixSpec } from './shared-prefix.ts'
import type { LengthSpec } from './synthetic.ts'
import type { TraceOptions } from './trace.ts'

/** What every load mode shares: how long, how often, which prompts, which objectives. */
export interface LoadCommon {
  /** Arrival process of rate cases (default poisson). */
  arrival?: ArrivalProcess
  /** Seconds over which load rises to its level (closed: streams join one by one; open: rate rises linearly). */
  rampUpS?: number
  /** Seconds of measured load per trial (default BENCH_DURATION, else the preset's); with no duration, `requests` bounds it. */
  duration?: number
  /** Repetitions of the measured phase (default BENCH_TRIALS). */
  trials?: number
  preset?: PresetName
  /** Synthetic prompt length in tokens (mean ± std); exact where the server has /tokenize. */
  input?: LengthSpec
  /** Output length in tokens (mean ± std); default numPredict. */
  output?: LengthSpec
  /** ShareGPT-format JSON file: prompts and reply lengths. */
  sharegpt?: string
  /** Goodput objectives (default BENCH_SLO_TTFT_MS / _TPOT_MS / _E2E_MS); open loops judge TTFT and E2E from each request's scheduled arrival. */
  slo?: SloSpec
  /** Stop the case once this fraction of finished requests failed (default 0.5; 1 = never). */
  abortErrorRate?: number
  /** …but only after this many requests finished (default 10). */
  abortMinRequests?: number
  /** Seed of Poisson arrivals and synthetic prompts, mixed with the case's name and level (default 1). */
  seed?: number
  /** Prompts = one of N group prefixes + a suffix of their own, sent without the unique tag so a prefix cache can help. */
  sharedPrefix?: SharedPrefixSpec
}

/** The options that choose a load mode; each mode below says which of them it takes, and the others are type errors. */
interface ModeKeys {
  /** Closed loop: streams (a list gives one case each; default BENCH_CONCURRENCY, else the preset's). With `rate` or `trace`: the most requests in flight (one number). */
  concurrency: number | number[]
  /** Open-loop request rate(s) in requests/s; a list gives one case each (default BENCH_RATE). */
  rate: number | number[]
  /** @deprecated the same as `concurrency` beside `rate` or `trace` (the most requests in flight; later arrivals wait in the client). */
  maxConcurrency: number
  /** Replay a trace (a path, or options with a time scale): each request at its timestamp, with its token lengths. */
  trace: string | TraceOptions
  /** Multi-turn conversations (true = 4 synthetic turns of 32 tokens each); `concurrency` = users. */
  conversation: true | ConversationOptions
  /** Search the highest request rate sustained inside the SLO instead of measuring one load level (also BENCH_CAPACITY=1). */
  capacity: true | CapacityOptions
}
type Mode<Has extends keyof ModeKeys, Req extends keyof ModeKeys = never> = LoadCommon &
  Required<Pick<ModeKeys, Req>> &
  Partial<Pick<ModeKeys, Exclude<Has, Req>>> & { [K in Exclude<keyof ModeKeys, Has | Req>]?: never }
/** The most requests in flight beside a rate or a trace: `concurrency` (one number) or the older `maxConcurrency`, not both. */
type Capped<Req extends 'rate' | 'trace'> = (Mode<Req | 'concurrency', Req> & { concurrency?: number }) | Mode<Req | 'maxConcurrency', Req>

/**
 * A case's load, one mode at a time (issue 27 item 3, as far as issue 24 needs it): options that contradict each
 * other are type errors, and the spec shorthands stay short.
 *   { concurrency: [1, 2, 4] }            closed loop, one case per level (no option at all: sequential)
 *   { rate: [1, 3] }                      open loop at each rate, nothing holding arrivals back
 *   { rate: 10, concurrency: 1 }          a rate with a max-in-flight cap (vllm bench --max-concurrency): arrivals
 *                                         wait in the client, and ttftFromArrivalMs / e2eFromArrivalMs count that wait
 *   { trace: 'x.jsonl', concurrency: 8 }  a replay, optionally capped
 *   { conversation: …, concurrency: 2 }   multi-turn users
 *   { capacity: true }                    a search over rates
 */
export type LoadOptions =
  | Mode<'concurrency'>
  | Capped<'rate'>
  | Capped<'trace'>
  | Mode<'conversation' | 'concurrency', 'conversation'>
  | Mode<'capacity', 'capacity'>

/** The load mode a case's options choose (BENCH_CAPACITY / BENCH_RATE aside). */
export type LoadKind = 'concurrency' | 'rate' | 'trace' | 'conversation' | 'capacity'

/**
 * The one place the mode is chosen. Options that contradict each other (possible from JavaScript or a cast) are
 * an error with what to fix, not a silent precedence.
 */
export function loadKind(opts: Partial<ModeKeys>): LoadKind | undefined {
  const modes = (['capacity', 'trace', 'conversation', 'rate'] as const).filter((k) => opts[k] !== undefined)
  if (modes.length > 1)
    throw new Error(`a case's load options ${modes.join(' and ')} contradict each other (one mode per case): keep one of them in the case's options.`)
  const mode = modes[0]
  if (opts.maxConcurrency !== undefined && mode !== 'rate' && mode !== 'trace')
    throw new Error('maxConcurrency caps a rate or a trace replay, and this case has neither: use concurrency for closed-loop streams.')
  if (opts.maxConcurrency !== undefined && opts.concurrency !== undefined)
    throw new Error(
      `concurrency (${opts.concurrency}) and maxConcurrency (${opts.maxConcurrency}) both cap this ${mode}: give one of them (concurrency beside rate is the cap).`,
    )
  if ((mode === 'rate' || mode === 'trace') && Array.isArray(opts.concurrency) && opts.concurrency.length > 1)
    throw new Error(
      `concurrency beside ${mode} is the most requests in flight, one number, got [${opts.concurrency.join(', ')}]: give one cap, or sweep the ${mode === 'rate' ? 'rate' : 'time scale'} instead.`,
    )
  if (mode === 'capacity' && opts.concurrency !== undefined)
    throw new Error('a capacity search sets its own request rates and in-flight counts: drop concurrency from the case.')
  return mode ?? (opts.concurrency !== undefined ? 'concurrency' : undefined)
}

/** The in-flight cap of a rate or trace case: `concurrency` (one number) or the older `maxConcurrency`. */
function capOf(opts: Partial<ModeKeys>): number | undefined {
  if (opts.maxConcurrency !== undefined) return opts.maxConcurrency
  const c = opts.concurrency
  return Array.isArray(c) ? c[0] : c
}

export interface LoadLevel {
  /** Appended to the case name when the case has several levels (` [c=4]`, ` [rate=2/s]`), else ''. */
  suffix: string
  shape: LoadShape
  bounds: LoadBounds
  trials: number
  preset?: PresetName
  input?: LengthSpec
  output?: LengthSpec
  /** A trace replay (the open shape's due times come from it) or a multi-turn case (closed shape = users). */
  trace?: TraceOptions
  conversation?: ConversationOptions
  /** This process sends one shard of the level (BENCH_SHARD, BENCH_CLIENT_PROCS): it takes every n-th workload item. */
  shard?: Shard
}

const list = (v: number | number[] | undefined): number[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v])

/** null: a plain sequential case (concurrency 1, no rate, duration, preset, trials or synthetic lengths). */
export function planLevels(opts: LoadOptions & { requests?: number }, knobs: Knobs): LoadLevel[] | null {
  const presetName = opts.preset ?? knobs.BENCH_PRESET
  const preset = presetName !== undefined ? presetOf(presetName) : undefined
  const kind = loadKind(opts)
  const rates = list(opts.rate) ?? knobs.BENCH_RATE
  const envConc = knobs.BENCH_CONCURRENCY.length === 1 && knobs.BENCH_CONCURRENCY[0] === 1 ? undefined : knobs.BENCH_CONCURRENCY
  // beside a rate or a trace, concurrency is the most requests in flight (the cap), not closed-loop streams
  const capped = kind === 'rate' || kind === 'trace'
  const cap = (capped ? capOf(opts) : undefined) ?? (envConc?.length === 1 ? envConc[0] : undefined)
  const conc = (capped ? undefined : list(opts.concurrency)) ?? envConc ?? preset?.concurrency ?? [1]
  const duration = opts.duration ?? knobs.BENCH_DURATION ?? preset?.duration
  const trials = opts.trials ?? knobs.BENCH_TRIALS
  const input = opts.input ?? preset?.input
  const output = opts.output ?? preset?.output
  const isLoad =
    (rates !== undefined && rates.length > 0) ||
    conc.length > 1 ||
    conc[0] !== 1 ||
    duration !== undefined ||
    trials > 1 ||
    preset !== undefined ||
    input !== undefined ||
    output !== undefined ||
    opts.sharegpt !== undefined ||
    opts.sharedPrefix !== undefined ||
    opts.trace !== undefined ||
    opts.conversation !== undefined ||
    (opts.rampUpS ?? 0) > 0
  if (!isLoad) return null
  if (!Number.isInteger(trials) || trials < 1)
    throw new Error(`trials must be a whole number ≥ 1, got ${trials}: fix BENCH_TRIALS or the case's trials option.`)
  const bounds: LoadBounds = {
    // a duration bounds the phase by time; an explicit request count bounds it too
    ...(duration === undefined ? { count: opts.requests ?? knobs.BENCH_REQUESTS } : opts.requests !== undefined ? { count: opts.requests } : {}),
    ...(duration !== undefined ? { durationMs: duration * 1000 } : {}),
  }
  const common = { bounds, trials, ...(presetName ? { preset: presetName } : {}), ...(input ? { input } : {}), ...(output ? { output } : {}) }
  if (opts.trace !== undefined) {
    const trace = typeof opts.trace === 'string' ? { file: opts.trace } : opts.trace
    // the trace decides how many requests there are; an explicit count or duration still cuts it
    const b: LoadBounds = {
      ...(opts.requests !== undefined ? { count: opts.requests } : {}),
      ...(duration !== undefined ? { durationMs: duration * 1000 } : {}),
    }
    if (b.count === undefined && b.durationMs === undefined) b.count = Number.MAX_SAFE_INTEGER
    return [
      {
        ...common,
        bounds: b,
        suffix: '',
        trace,
        shape: { mode: 'open', rate: 0, arrival: 'trace', ...(cap !== undefined ? { maxConcurrency: cap } : {}) },
      },
    ]
  }
  if (opts.conversation !== undefined) {
    const conversation = opts.conversation === true ? {} : opts.conversation
    return conc.map((c) => ({
      ...common,
      suffix: conc.length > 1 ? ` [users=${c}]` : '',
      conversation,
      shape: { mode: 'closed' as const, concurrency: conversation.users ?? c },
    }))
  }
  if (rates !== undefined && rates.length > 0) {
    return rates.map((rate) => ({
      ...common,
      suffix: rates.length > 1 ? ` [rate=${rate}/s]` : '',
      shape: {
        mode: 'open' as const,
        rate,
        arrival: opts.arrival ?? knobs.BENCH_ARRIVAL,
        rampUpS: opts.rampUpS ?? 0,
        seed: opts.seed ?? 1,
        ...(cap !== undefined ? { maxConcurrency: cap } : {}),
      },
    }))
  }
  return conc.map((c) => ({
    ...common,
    suffix: conc.length > 1 ? ` [c=${c}]` : '',
    shape: { mode: 'closed' as const, concurrency: c, rampUpS: opts.rampUpS ?? 0 },
  }))
}
