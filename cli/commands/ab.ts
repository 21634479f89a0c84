// `fuze-bench ab`: A/B in one job. Two knob overlays (two URLs, two binaries, two env files, two model variants)
// run the same vitest bench cases in alternating rounds (AB, BA, AB, … — ABBA), so the machine's drift hits both
// alike; after every round a sequential test on the paired per-round differences (reporters/ab.ts) says PASS,
// FAIL or not yet, and rounds are added until every metric is decided or the budget is spent.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { defOf, FLAGS_ENV, isSecretName, KnobError, loadKnobs, REDACTED } from '../../env/index.ts'
import { AbTracker, roundDiffs } from '../../reporters/ab.ts'
import { type AbResult, type AbRunRecord, renderAbConsole } from '../../reporters/ab-report.ts'
import { thresholdsFromEnv } from '../../reporters/gate.ts'
import { listRunDirs, loadRun, type RunData } from '../../reporters/run-data.ts'
import { writeFileAtomic } from '../../reporters/safe-write.ts'
import { UsageError, withUsage } from '../lib/args.ts'

export const help = `A/B in one job: the same bench cases against two setups in alternating rounds, until each gated metric is decided.

usage: fuze-bench ab --a KEY=VAL [KEY=VAL…] [@a.env…] --b KEY=VAL [KEY=VAL…] [@b.env…]
                     [--budget-s N] [--max-rounds N] [--dir DIR] -- <vitest bench args>

A and B are knob overlays on this environment: KEY=VAL settings (they win over env files) and @file.env files
— two URLs (OPENAI_URL=…), two llama-server builds (LLAMACPP_BIN=…), two env files, two model variants. Each
round runs \`npx vitest bench --run <vitest bench args>\` once for A and once for B, in the order AB, BA, AB, …
(ABBA), so drift of the machine hits both alike. Servers given by URL stay up the whole time; managed servers
start and stop with each run. Per round and gated metric (tok/s, TTFT/TPOT/E2E p50 and p99, prefill), the
paired difference is the mean over the cases of ln B − ln A. A sequential test that stays valid however often
it looks (a confidence sequence, reporters/ab.ts) decides each metric:
  PASS  B is confidently not worse than A by the metric's threshold (BENCH_GATE_*_PCT)
  FAIL  B is confidently worse than A, and nearer the threshold than no change
  otherwise another round; the run stops when every median metric and tok/s passed, one metric failed, or
  the budget is spent (a p99 of ~10 requests per case can fail the run but does not hold it open).
Whenever it stops, false alarms (FAIL when B = A) are at most BENCH_GATE_ALPHA (0.05) for the run, and a
metric worse by its threshold PASSes with at most that chance.

  --a ARGS…        A's overlay: KEY=VAL settings and @file.env files, up to the next option
  --b ARGS…        B's overlay, the same way
  --budget-s N     wall-clock budget in seconds (default 600): no round starts that would not end in it
  --max-rounds N   at most N rounds (default 40)
  --dir DIR        results folder (default LOG_DIR/ab-<time>): a/ and b/ hold each side's run folders,
                   logs/ each run's output, ab.json the verdict
  -- ARGS          vitest bench args, the same for both (e.g. \`-- --project openai -t "chat short"\`)

Writes ab.json {verdict, rounds, metrics: [{id, effectPct, ci: [lo, hi], verdict}]} and prints a table.
Exit status: 0 PASS, 1 FAIL (or a run of either side failed its health checks), 3 INCONCLUSIVE, 2 bad usage.`

const OPTIONS = new Set(['--a', '--b', '--budget-s', '--max-rounds', '--dir'])

interface Side {
  name: 'A' | 'B'
  settings: Record<string, string>
  files: string[]
  /** As given, secrets masked: for the console and ab.json. */
  shown: string[]
}

interface Parsed {
  a: Side
  b: Side
  budgetS: number
  maxRounds: number
  dir?: string
  vitestArgs: string[]
}

const positiveInt = (flag: string, raw: string | undefined, max: number) => {
  const n = Number(raw)
  if (raw === undefined || !Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError('ab', `${flag} needs a whole number from 1 to ${max}, got '${raw ?? ''}'`)
  return n
}

export function parseAbArgs(args: readonly string[]): Parsed {
  const dash = args.indexOf('--')
  const own = dash >= 0 ? args.slice(0, dash) : [...args]
  const vitestArgs = dash >= 0 ? args.slice(dash + 1) : []
  const sides = { a: { name: 'A', settings: {}, files: [], shown: [] } as Side, b: { name: 'B', settings: {}, files: [], shown: [] } as Side }
  let current: Side | undefined
  let budgetS = 600
  let maxRounds = 40
  let dir: string | undefined
  for (let i = 0; i < own.length; i++) {
    const [flag, inline] =
      own[i].startsWith('--') && own[i].includes('=') ? [own[i].slice(0, own[i].indexOf('=')), own[i].slice(own[i].indexOf('=') + 1)] : [own[i], undefined]
    if (OPTIONS.has(flag)) {
      current = undefined
      if (flag === '--a' || flag === '--b') {
        current = sides[flag.slice(2) as 'a' | 'b']
        if (inline !== undefined) addTo(current, inline)
        continue
      }
      const value = inline ?? own[++i]
      if (flag === '--budget-s') budgetS = positiveInt(flag, value, 86_400)
      else if (flag === '--max-rounds') maxRounds = positiveInt(flag, value, 10_000)
      else if (value === undefined || value === '') throw new UsageError('ab', '--dir needs a folder')
      else dir = value
      continue
    }
    if (own[i].startsWith('-')) throw new UsageError('ab', `unknown option '${own[i]}'`)
    if (!current) throw new UsageError('ab', `'${own[i]}' belongs to no side: put KEY=VAL and @file.env after --a or --b`)
    addTo(current, own[i])
  }
  for (const s of [sides.a, sides.b])
    if (!Object.keys(s.settings).length && !s.files.length)
      throw new UsageError('ab', `--${s.name.toLowerCase()} needs at least one KEY=VAL or @file.env (the two sides must say what differs)`)
  if (!vitestArgs.length) throw new UsageError('ab', 'give the vitest bench args after --, e.g. `-- --project openai`')
  return { a: sides.a, b: sides.b, budgetS, maxRounds, ...(dir ? { dir } : {}), vitestArgs }
}

function addTo(side: Side, token: string): void {
  if (token.startsWith('@')) {
    const file = resolve(token.slice(1))
    try {
      readFileSync(file)
    } catch {
      throw new UsageError('ab', `${side.name}'s env file ${token} cannot be read (${file})`)
    }
    side.files.push(file)
    side.shown.push(token)
    return
  }
  const eq = token.indexOf('=')
  if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(token.slice(0, eq))) throw new UsageError('ab', `'${token}' is not KEY=VAL or @file.env (for ${side.name})`)
  const key = token.slice(0, eq)
  if (key === 'LOG_DIR' || key === 'BENCH_BASELINE')
    throw new UsageError('ab', `${key} cannot differ between A and B: ab sets it (use --dir for the results folder)`)
  side.settings[key] = token.slice(eq + 1)
  side.shown.push(`${key}=${isSecretName(key) ? REDACTED : token.slice(eq + 1)}`)
}

/** The child environment of one side's run: knob settings as flags (they beat env files) and as variables, env files, our results folder. */
function sideEnv(side: Side, logDir: string): Record<string, string> {
  const knobs = Object.fromEntries(Object.entries(side.settings).filter(([k]) => defOf(k)))
  const inherited = (process.env.BENCH_ENV_FILE ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return {
    ...side.settings,
    ...(side.files.length ? { BENCH_ENV_FILE: [...inherited, ...side.files].join(',') } : {}),
    [FLAGS_ENV]: JSON.stringify({ ...(process.env[FLAGS_ENV] ? JSON.parse(process.env[FLAGS_ENV]) : {}), ...knobs }),
    LOG_DIR: logDir,
    BENCH_BASELINE: '',
    BENCH_UPDATE_BASELINE: '0',
  }
}

/** Check both sides' knobs before any server starts: a bad value stops everything, naming the side. */
function validate(side: Side): void {
  const flags = Object.fromEntries(Object.entries(side.settings).filter(([k]) => defOf(k)))
  try {
    loadKnobs({ env: { ...process.env, ...side.settings }, files: side.files, flags })
  } catch (err) {
    if (err instanceof KnobError) throw new UsageError('ab', `${side.name}'s settings are not valid: ${err.message}`)
    throw err
  }
}

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15)

async function runSide(side: Side, p: Parsed, dir: string, round: number): Promise<{ run?: RunData; record: AbRunRecord; error?: string }> {
  const logDir = join(dir, side.name.toLowerCase())
  const before = new Set(listRunDirs(logDir))
  const log = join(dir, 'logs', `${String(round).padStart(3, '0')}-${side.name}.log`)
  const t0 = Date.now()
  const r = await execa('npx', ['vitest', 'bench', '--run', ...p.vitestArgs], { env: sideEnv(side, logDir), all: true, reject: false })
  writeFileSync(log, r.all ?? '')
  const seconds = (Date.now() - t0) / 1000
  const fresh = listRunDirs(logDir).filter((d) => !before.has(d))
  const record: AbRunRecord = { round, side: side.name, runDir: fresh.at(-1) ?? '', seconds }
  const tail = (r.all ?? '').split('\n').slice(-15).join('\n')
  if (r.exitCode !== 0)
    return {
      record,
      error: `${side.name} (round ${round}): vitest exited ${r.exitCode ?? r.signal}; its gate or the run failed, so the rounds cannot be paired. Its output: ${log}\n${tail}`,
    }
  if (!fresh.length)
    return { record, error: `${side.name} (round ${round}): the run wrote no run folder under ${logDir}; nothing measured. Its output: ${log}\n${tail}` }
  return { run: loadRun(fresh.at(-1)!), record }
}

export async function run(args: string[]): Promise<number> {
  return withUsage(async () => {
    const p = parseAbArgs(args)
    validate(p.a)
    validate(p.b)
    const thresholds = thresholdsFromEnv(process.env)
    const base = loadKnobs({ env: process.env })
    const dir = resolve(p.dir ?? join(base.LOG_DIR, `ab-${stamp()}`))
    for (const sub of ['a', 'b', 'logs']) mkdirSync(join(dir, sub), { recursive: true })
    const tracker = new AbTracker(thresholds, thresholds.alpha)
    const runs: AbRunRecord[] = []
    const order: string[] = []
    const t0 = Date.now()
    const elapsed = () => (Date.now() - t0) / 1000
    let stopped = `round limit (--max-rounds ${p.maxRounds})`
    let error: string | undefined
    console.log(`fuze-bench ab: A = ${p.a.shown.join(' ')}; B = ${p.b.shown.join(' ')}; budget ${p.budgetS} s; results ${dir}`)
    let judged = tracker.judge()
    for (let round = 1; round <= p.maxRounds; round++) {
      // a round costs about what the rounds so far cost; do not start one that cannot end in the budget
      const perRound = round > 1 ? elapsed() / (round - 1) : 0
      if (round > 1 && elapsed() + perRound > p.budgetS) {
        stopped = `budget ${p.budgetS} s spent (a round takes ~${perRound.toFixed(0)} s)`
        break
      }
      const sides = round % 2 === 1 ? [p.a, p.b] : [p.b, p.a]
      order.push(sides.map((s) => s.name).join(''))
      const got: Partial<Record<'A' | 'B', RunData>> = {}
      for (const side of sides) {
        const r = await runSide(side, p, dir, round)
        runs.push(r.record)
        if (r.error) error = r.error
        else got[side.name] = r.run
        if (error) break
      }
      if (error) {
        stopped = 'a run failed'
        break
      }
      tracker.add(roundDiffs(got.A!, got.B!))
      judged = tracker.judge()
      const open = judged.metrics.filter((m) => m.verdict === 'INCONCLUSIVE' && m.blocksPass).map((m) => m.label)
      console.log(
        `round ${round} (${order.at(-1)}, ${elapsed().toFixed(0)} s): ${judged.verdict === 'FAIL' ? 'FAIL' : open.length ? `undecided: ${open.join(', ')}` : 'every metric decided'}`,
      )
      if (judged.verdict !== 'INCONCLUSIVE') {
        stopped = judged.verdict === 'FAIL' ? 'a metric failed' : 'every metric decided'
        break
      }
    }
    const verdict = error ? 'FAIL' : judged.verdict
    const result: AbResult = {
      format: 'fuze-bench-ab/1',
      verdict,
      rounds: tracker.rounds,
      metrics: judged.metrics,
      alpha: thresholds.alpha,
      budgetS: p.budgetS,
      elapsedS: elapsed(),
      stopped,
      a: p.a.shown,
      b: p.b.shown,
      order,
      runs,
      vitestArgs: p.vitestArgs,
      ...(error ? { error } : {}),
    }
    writeFileAtomic(join(dir, 'ab.json'), `${JSON.stringify(result, null, 1)}\n`)
    console.log(renderAbConsole(result))
    console.log(`fuze-bench ab: ${join(dir, 'ab.json')}`)
    return verdict === 'PASS' ? 0 : verdict === 'FAIL' ? 1 : 3
  })
}
