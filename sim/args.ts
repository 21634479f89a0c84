// Command-line flags of `fuze-bench sim` / `tsx sim/cli.ts`, derived from the settings table:
// `--ttft-ms 30`, `--models a,b`, `--precompute`, `--fault-disconnect-after 5`, `--config file.json`.
import { parseArgs } from 'node:util'
import { CONFIG_KEYS, FAULT_KEYS, SimConfigError, readConfigFile, resolveConfig } from './config.ts'
import type { SimConfig } from './types.ts'

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

interface FlagDef {
  flag: string
  key: string
  fault: boolean
  kind: string
}

const FLAGS: FlagDef[] = [
  ...Object.entries(CONFIG_KEYS).map(([key, d]) => ({ flag: kebab(key), key, fault: false, kind: d.kind })),
  ...Object.entries(FAULT_KEYS).map(([key, d]) => ({ flag: `fault-${kebab(key)}`, key, fault: true, kind: d.kind })),
]

function flagValue(def: FlagDef, raw: string | boolean): unknown {
  if (def.kind === 'boolean') return raw
  const text = String(raw)
  if (def.kind === 'int' || def.kind === 'number') {
    const n = Number(text)
    if (text.trim() === '' || !Number.isFinite(n)) {
      throw new SimConfigError(`--${def.flag} expects a number but got '${text}'. Pass e.g. --${def.flag} 10.`)
    }
    return n
  }
  if (def.kind === 'list')
    return text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  return text
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = cur
    }
  }
  return row[b.length]
}

function closest(name: string, candidates: string[]): string | undefined {
  const best = candidates.map((c) => ({ c, d: distance(name, c) })).sort((x, y) => x.d - y.d)[0]
  return best && best.d <= Math.max(2, Math.floor(name.length / 4)) ? best.c : undefined
}

/** Parse argv into a validated SimConfig: defaults < --config file < flags. Throws SimConfigError. */
export function parseSimArgs(argv: string[]): SimConfig {
  const options: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' } }
  for (const f of FLAGS) options[f.flag] = { type: f.kind === 'boolean' ? 'boolean' : 'string' }
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as typeof values
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0].replace(/\.$/, '')
    const bad = /'--?([^']+)'/.exec(msg)?.[1]
    const guess = bad ? closest(bad, ['config', ...FLAGS.map((f) => f.flag)]) : undefined
    throw new SimConfigError(
      `fuze-bench sim: ${msg}.${guess ? ` Did you mean --${guess}?` : ''} Run \`fuze-bench sim --help\` for the list of flags (each setting is --<kebab-case-key>, each fault --fault-<kebab-case-key>).`,
    )
  }
  const file = typeof values.config === 'string' ? readConfigFile(values.config) : {}
  const faultsFromFile = file.faults
  const merged: Record<string, unknown> = { ...file }
  const faults: Record<string, unknown> = typeof faultsFromFile === 'object' && faultsFromFile !== null ? { ...faultsFromFile } : {}
  for (const f of FLAGS) {
    const raw = values[f.flag]
    if (raw === undefined) continue
    if (f.fault) faults[f.key] = flagValue(f, raw)
    else merged[f.key] = flagValue(f, raw)
  }
  if (Object.keys(faults).length > 0) merged.faults = faults
  const source = typeof values.config === 'string' ? `sim settings (--config ${values.config} and flags)` : 'sim settings (flags)'
  return resolveConfig(merged, source)
}

export function simHelp(): string {
  const row = (flag: string, d: { describe: string; default?: unknown }) =>
    `  --${flag.padEnd(30)} ${d.describe}${d.default !== undefined ? ` (default ${JSON.stringify(d.default)})` : ''}`
  return [
    'Run the protocol simulator (OpenAI/vLLM, Ollama, llama.cpp, TGI, Triton) as a standalone server',
    '',
    'usage: fuze-bench sim --protocol openai|ollama|llamacpp|tgi|triton --port N [--config file.json] [flags]',
    '',
    'Prints `sim listening on http://HOST:PORT` when ready; SIGTERM/SIGINT close it (exit 0).',
    'Ground truth: GET /_sim/truth/<x-request-id>, /_sim/stats, /_sim/requests. See sim/README.md.',
    '',
    'settings:',
    '  --config <file.json>             JSON object with any of the keys below (camelCase) and "faults"',
    ...Object.entries(CONFIG_KEYS).map(([k, d]) => row(kebab(k), d)),
    '',
    'faults (off unless given):',
    ...Object.entries(FAULT_KEYS).map(([k, d]) => row(`fault-${kebab(k)}`, d)),
  ].join('\n')
}
