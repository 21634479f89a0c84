// Knob loading: defaults < process environment < env files (in order) < flags; every bad value
// of every source is collected and thrown once as a KnobError, before any server starts.
import { EnvFileError, parseEnvFile } from './env-file.ts'
import { KNOB_DEFS, type KnobDef, type Knobs } from './knobs.ts'
import { isSecretName, redact, REDACTED } from './redact.ts'
import { FuzeError } from '../helpers/errors.ts'

export interface KnobIssue {
  key: string
  value: string
  /** 'environment' | 'file.env:12' | 'flag' | 'default' */
  source: string
  allowed: string
  kind?: 'invalid' | 'unknown' | 'file'
}

/** Env var through which `fuze-bench bench` hands its flags (--gpu, --debug) to vitest workers, keeping flags > files. */
export const FLAGS_ENV = 'FUZE_KNOB_FLAGS'

export class KnobError extends FuzeError {
  constructor(readonly issues: KnobIssue[]) {
    super(formatIssues(issues))
    this.name = 'KnobError'
  }
}

function formatIssue(i: KnobIssue): string {
  const shown = isSecretName(i.key) ? REDACTED : i.value
  if (i.kind === 'file') return `${i.source}: ${i.allowed}${i.value ? ` (${JSON.stringify(i.value)})` : ''}.`
  if (i.kind === 'unknown') return `${i.key}='${shown}' (from ${i.source}) is not a knob fuze-bench knows: ${i.allowed}${i.allowed.endsWith('?') ? '' : '.'}`
  return `${i.key}='${shown}' (from ${i.source}) is not valid: expected ${i.allowed}.`
}

function formatIssues(issues: KnobIssue[]): string {
  const n = issues.length
  return (
    `${n === 1 ? 'One setting is' : `${n} settings are`} invalid, so nothing was started. ` +
    issues.map(formatIssue).join(' ') +
    ' Fix these values where they come from (or remove them to use the defaults); README.md › Knobs lists every knob and what it accepts.'
  )
}

/** `key` is the spelling that supplied the value: errors name the variable as the user wrote it (DEBUG_BENCH, not DEBUG). */
type Layer = { key: string; value: string; source: string }

const PER_ALIAS = KNOB_DEFS.filter((d) => d.perAlias).map((d) => d.name.replace('<alias>', ''))
const NAMES = KNOB_DEFS.filter((d) => !d.perAlias).flatMap((d) => [d.name, ...(d.aliases ?? [])])
const CANONICAL = new Map(KNOB_DEFS.flatMap((d) => [d.name, ...(d.aliases ?? [])].map((n) => [n, d] as const)))
/** Our own namespaces: an unknown key here is a typo, never a variable meant for a server. */
const OWN_PREFIXES = ['BENCH_', 'LLAMACPP_', 'FUZE_']
/** The prefix of the environment that only knobs use (FUZE_ also carries internal variables, LLAMACPP_ a user's own). */
const ENV_NAMESPACE = 'BENCH_'

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = tmp
    }
  }
  return prev[b.length]
}

export function nearestKnob(key: string): { name: string; distance: number } {
  const candidates = [...NAMES, ...PER_ALIAS.map((p) => `${p}<alias>`)]
  let best = { name: candidates[0], distance: Infinity }
  for (const name of candidates) {
    const d = distance(key.toUpperCase(), name)
    if (d < best.distance) best = { name, distance: d }
  }
  return best
}

/** Returns the issue text for an env-file key that looks like a mistyped knob, else undefined (a pass-through variable). */
function unknownKeyProblem(key: string): string | undefined {
  const near = nearestKnob(key)
  const close = near.distance <= Math.max(1, Math.floor(Math.max(key.length, near.name.length) / 5))
  const own = OWN_PREFIXES.some((p) => key.startsWith(p))
  if (!close && !own) return undefined
  if (near.distance <= Math.ceil(key.length / 3)) return `did you mean ${near.name}?`
  return 'no such knob (README.md › Knobs lists them all)'
}

function perAliasFamily(key: string): string | undefined {
  return PER_ALIAS.find((p) => key.startsWith(p) && key.length > p.length)
}

/** Per source, the canonical name beats its older alias, whatever the order they were written in. */
function setLayer(layers: Map<string, Layer>, byName: Map<string, string>, key: string, layer: Layer) {
  const def = CANONICAL.get(key)
  const target = def ? def.name : key
  const prevWriter = byName.get(target)
  if (def && prevWriter === def.name && key !== def.name) return
  layers.set(target, layer)
  byName.set(target, key)
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv
  files?: string[]
  flags?: Record<string, string>
}

export function loadKnobs(opts: LoadOptions = {}): Knobs {
  const env = opts.env ?? process.env
  const issues: KnobIssue[] = []
  const layers = new Map<string, Layer>()
  const extraEnv: Record<string, string> = {}

  const envWriters = new Map<string, string>()
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue
    if (CANONICAL.has(key) || perAliasFamily(key)) setLayer(layers, envWriters, key, { key, value, source: 'environment' })
    // BENCH_ is ours alone: a variable there that is no knob is a typo that would otherwise run with the default
    else if (key.startsWith(ENV_NAMESPACE))
      issues.push({ key, value, source: 'environment', allowed: unknownKeyProblem(key) ?? 'no such knob (README.md › Knobs lists them all)', kind: 'unknown' })
  }

  for (const file of opts.files ?? []) {
    let entries
    try {
      entries = parseEnvFile(file, env).entries
    } catch (err) {
      if (!(err instanceof EnvFileError)) throw err
      for (const i of err.issues) {
        issues.push({ key: i.text.split('=')[0] || file, value: i.text, source: i.line ? `${file}:${i.line}` : file, allowed: i.reason, kind: 'file' })
      }
      continue
    }
    const writers = new Map<string, string>()
    for (const e of entries) {
      const source = `${file}:${e.line}`
      if (CANONICAL.has(e.key) || perAliasFamily(e.key)) {
        setLayer(layers, writers, e.key, { key: e.key, value: e.value, source })
        continue
      }
      const problem = unknownKeyProblem(e.key)
      if (problem) issues.push({ key: e.key, value: e.value, source, allowed: problem, kind: 'unknown' })
      else extraEnv[e.key] = e.value
    }
  }

  const flagWriters = new Map<string, string>()
  for (const [key, value] of Object.entries(opts.flags ?? {})) {
    if (CANONICAL.has(key) || perAliasFamily(key)) setLayer(layers, flagWriters, key, { key, value, source: 'flag' })
    else issues.push({ key, value, source: 'flag', allowed: unknownKeyProblem(key) ?? 'no such knob', kind: 'unknown' })
  }

  const out: Record<string, unknown> = {}
  const perAlias: Knobs['perAlias'] = { LLAMACPP_PATH: {}, VLLM_MODEL: {} }
  const check = (def: KnobDef, layer: Layer | undefined): unknown => {
    const given = layer && (layer.value !== '' || def.emptyIsValue) ? layer : undefined
    const raw = given ?? (def.default !== undefined ? { key: def.name, value: def.default, source: 'default' } : undefined)
    if (!raw) return undefined
    const parsed = def.schema.safeParse(raw.value)
    if (parsed.success) return parsed.data
    issues.push({ key: raw.key, value: raw.value, source: raw.source, allowed: def.allowed, kind: 'invalid' })
    return undefined
  }
  for (const def of KNOB_DEFS) {
    if (!def.perAlias) {
      out[def.name] = check(def, layers.get(def.name))
      continue
    }
    const prefix = def.name.replace('<alias>', '')
    const family = prefix.slice(0, -1) as keyof Knobs['perAlias']
    for (const [key, layer] of layers) {
      if (!key.startsWith(prefix) || key.length <= prefix.length) continue
      const v = check(def, layer)
      if (typeof v === 'string') perAlias[family][key.slice(prefix.length)] = v
    }
  }
  if (issues.length) throw new KnobError(issues)
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k]
  return { ...(out as Omit<Knobs, 'perAlias' | 'extraEnv'>), perAlias, extraEnv }
}

let cache: { key: string; knobs: Knobs } | undefined

function cacheKey(env: NodeJS.ProcessEnv): string {
  return JSON.stringify(
    Object.keys(env)
      .filter((k) => CANONICAL.has(k) || perAliasFamily(k) || k === FLAGS_ENV)
      .sort()
      .map((k) => [k, env[k]]),
  )
}

function flagsFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const raw = env[FLAGS_ENV]
  if (!raw) return {}
  try {
    const parsed: unknown = JSON.parse(raw)
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]))
  } catch {
    /* reported below */
  }
  throw new KnobError([
    { key: FLAGS_ENV, value: raw, source: 'environment', allowed: 'a JSON object of knob names to values (set by `fuze-bench bench`)', kind: 'invalid' },
  ])
}

let pinned: Knobs | undefined

/**
 * While a case is measured the knobs cannot change: getKnobs returns these without re-reading the environment (its
 * check costs ~0.2 ms, and the request path asked once per request: 42 ms of a 240-request case's worker CPU, in the
 * bursts where a wave of requests ends and the next starts). Returns the release; a nested pin releases nothing.
 */
export function pinKnobs(): () => void {
  if (pinned) return () => {}
  const mine = getKnobs()
  pinned = mine
  return () => {
    if (pinned === mine) pinned = undefined
  }
}

/** Validated knobs of this process: environment + BENCH_ENV_FILE files + FUZE_KNOB_FLAGS; cached while those variables don't change. */
export function getKnobs(): Knobs {
  if (pinned) return pinned
  const key = cacheKey(process.env)
  if (cache?.key === key) return cache.knobs
  const files = (process.env.BENCH_ENV_FILE ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const knobs = loadKnobs({ env: process.env, files, flags: flagsFromEnv(process.env) })
  cache = { key, knobs }
  return knobs
}

export function resetKnobsCache(): void {
  cache = undefined
  pinned = undefined
}

/** A knob value written back as an env-file value (lists space-separated, booleans 1/0, regexes by source). */
export function formatKnobValue(value: unknown): string {
  if (value === undefined) return ''
  if (typeof value === 'boolean') return value ? '1' : '0'
  if (value instanceof RegExp) return value.source
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' && v && 'name' in v ? `${v.name}|${v.alias}` : String(v))).join(' ')
  return String(value)
}

/** Effective values for env.json: every knob that has a value, per-alias entries, pass-through variables; secrets redacted. */
export function effectiveEnv(knobs: Knobs = getKnobs()): Record<string, string> {
  const out: Record<string, string> = {}
  const record = knobs as unknown as Record<string, unknown>
  for (const def of KNOB_DEFS) {
    if (def.perAlias) {
      const family = def.name.replace('_<alias>', '') as keyof Knobs['perAlias']
      for (const [alias, v] of Object.entries(knobs.perAlias[family])) out[`${family}_${alias}`] = v
    } else if (record[def.name] !== undefined) out[def.name] = formatKnobValue(record[def.name])
  }
  Object.assign(out, knobs.extraEnv)
  return redact(out)
}
