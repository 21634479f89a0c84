// One table of simulator settings: the zod schema, the defaults, the CLI flags, the help text and
// the README list are all derived from it, so they cannot drift apart.
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import type { SimConfig, SimFaults } from './types.ts'
import { FuzeError } from '../helpers/errors.ts'

type Kind = 'int' | 'number' | 'boolean' | 'string' | 'list' | 'protocol'

interface KeyDef {
  kind: Kind
  min?: number
  max?: number
  default?: unknown
  describe: string
}

export const PROTOCOLS = ['openai', 'ollama', 'llamacpp', 'tgi', 'triton'] as const

export const CONFIG_KEYS: Record<Exclude<keyof SimConfig, 'faults'>, KeyDef> = {
  protocol: { kind: 'protocol', default: 'openai', describe: 'wire protocol: openai | ollama | llamacpp | tgi | triton' },
  host: { kind: 'string', default: '127.0.0.1', describe: 'address to listen on' },
  port: { kind: 'int', min: 0, max: 65535, default: 0, describe: 'port (0 = ephemeral)' },
  seed: { kind: 'int', default: 1, describe: 'seed for token texts, jitter and failRate' },
  ttftMs: { kind: 'number', min: 0, default: 20, describe: 'base time to first token (ms)' },
  perPromptTokenMs: { kind: 'number', min: 0, default: 0.05, describe: 'added to TTFT per prompt token (ms)' },
  itlMs: { kind: 'number', min: 0, default: 5, describe: 'mean inter-token latency (ms)' },
  itlJitterMs: { kind: 'number', min: 0, default: 0, describe: 'uniform jitter added to each chunk gap, ±ms' },
  tokensPerChunk: { kind: 'int', min: 1, default: 1, describe: 'tokens carried by each streamed chunk' },
  concurrencySlowdown: { kind: 'number', min: 0, default: 0, describe: 'TTFT/ITL multiplier per extra active sequence (itl*(1+x*(active-1)))' },
  maxSeqs: { kind: 'int', min: 1, default: 64, describe: 'sequences generated at once; more requests queue' },
  maxQueue: { kind: 'int', min: 0, default: 1024, describe: 'queued requests beyond maxSeqs; more get 503' },
  precompute: { kind: 'boolean', default: false, describe: 'zero-delay mode: each response body is written in one go (ingest benches)' },
  models: { kind: 'list', default: ['sim-model'], describe: 'model names listed by /v1/models, /api/tags, /v2/repository/index (comma-separated on the CLI)' },
  blockCount: { kind: 'int', min: 1, default: 32, describe: "Ollama /api/show model_info 'llama.block_count'" },
  readyDelayMs: { kind: 'number', min: 0, default: 0, describe: 'every endpoint but /_sim/* answers 503 (loading) until this long after start' },
  eosAfterTokens: {
    kind: 'int',
    min: 0,
    default: 0,
    describe: 'stop early (finish_reason stop) after this many tokens unless the request ignores EOS; 0 = never',
  },
  apiKey: { kind: 'string', describe: 'require `Authorization: Bearer <key>` on every endpoint but /_sim/* (401 otherwise), like a hosted API' },
}

export const FAULT_KEYS: Record<keyof SimFaults, KeyDef> = {
  roleOnlyFirstChunk: { kind: 'boolean', describe: 'chat: first chunk carries only delta.role' },
  emptyChunks: { kind: 'int', min: 0, describe: 'this many empty-content chunks interleaved' },
  keepAlive: { kind: 'boolean', describe: "SSE ': keep-alive' comments between events" },
  missingUsage: { kind: 'boolean', describe: 'no usage / eval_count / timings / details in the final message' },
  reasoningTokens: { kind: 'int', min: 0, describe: 'first N tokens as reasoning_content (openai chat) / thinking (ollama)' },
  malformedLineAt: { kind: 'int', min: 0, describe: 'emit a garbage line after N chunks' },
  truncatedJsonAt: { kind: 'int', min: 0, describe: 'emit a truncated JSON event after N chunks' },
  disconnectAfter: { kind: 'int', min: 0, describe: 'destroy the socket after N chunks' },
  stallAfterMs: { kind: 'number', min: 0, describe: 'stop sending (socket stays open) after this many ms of streaming' },
  status: { kind: 'int', min: 100, max: 599, describe: 'answer generate calls with this HTTP status' },
  statusBody: { kind: 'string', describe: 'body sent with `status`' },
  failRate: { kind: 'number', min: 0, max: 1, describe: 'fraction of requests (seeded) answered with `status` (default 500)' },
  wrongContentType: { kind: 'boolean', describe: 'text/plain instead of the streaming content type' },
  serverCountOffBy: { kind: 'int', describe: 'reported output tokens = real count + this' },
  dieAfterRequests: { kind: 'int', min: 1, describe: 'exit the process after this many generate requests (CLI only)' },
}

function zodFor(def: KeyDef): z.ZodType {
  let t: z.ZodType
  switch (def.kind) {
    case 'int':
    case 'number': {
      let n = def.kind === 'int' ? z.number().int() : z.number()
      if (def.min !== undefined) n = n.min(def.min)
      if (def.max !== undefined) n = n.max(def.max)
      t = n
      break
    }
    case 'boolean':
      t = z.boolean()
      break
    case 'string':
      t = z.string().min(1)
      break
    case 'list':
      t = z.array(z.string().min(1)).min(1)
      break
    case 'protocol':
      t = z.enum(PROTOCOLS)
      break
  }
  return def.default === undefined ? t.optional() : t.default(def.default as never)
}

function shapeOf(defs: Record<string, KeyDef>): Record<string, z.ZodType> {
  return Object.fromEntries(Object.entries(defs).map(([k, d]) => [k, zodFor(d)]))
}

export const faultsSchema = z.strictObject(shapeOf(FAULT_KEYS))
export const configSchema = z.strictObject({ ...shapeOf(CONFIG_KEYS), faults: faultsSchema.default({}) })

/** A bad setting: the message is the one paragraph a user sees (the CLI exits 2 with it). */
export class SimConfigError extends FuzeError {
  override name = 'SimConfigError'
}

function describeIssues(error: z.ZodError, source: string): string {
  const parts = error.issues.map((issue) => {
    const at = issue.path.join('.')
    if (issue.code === 'unrecognized_keys') {
      const prefix = at ? `${at}.` : ''
      const valid = Object.keys(at === 'faults' ? FAULT_KEYS : { ...CONFIG_KEYS, faults: 0 }).join(', ')
      return `unknown key ${issue.keys.map((k) => `'${prefix}${k}'`).join(', ')} (valid keys${at ? ` under '${at}'` : ''}: ${valid})`
    }
    return `'${at}': ${issue.message}`
  })
  return `${source}: ${parts.join('; ')}. Fix the setting (see sim/README.md or \`fuze-bench sim --help\`).`
}

/** Validate a (partial) config and fill in defaults. Throws SimConfigError naming every bad key. */
export function resolveConfig(input: unknown, source = 'sim config'): SimConfig {
  const parsed = configSchema.safeParse(input ?? {})
  if (!parsed.success) throw new SimConfigError(describeIssues(parsed.error, source))
  return parsed.data as unknown as SimConfig
}

/** Read a JSON config file; the result still needs resolveConfig (flags are merged on top first). */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new SimConfigError(`sim config file '${file}' could not be read (${(err as Error).message}). Pass an existing JSON file with --config.`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new SimConfigError(`sim config file '${file}' is not valid JSON (${(err as Error).message}). Fix the file; keys are listed in sim/README.md.`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SimConfigError(`sim config file '${file}' must hold a JSON object of settings, e.g. {"protocol":"ollama","itlMs":10}.`)
  }
  return value as Record<string, unknown>
}
