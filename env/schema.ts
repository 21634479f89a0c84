// Value schemas for knobs: each turns the raw string (environment, env file or flag) into a typed
// value, and carries a human sentence of what is allowed, used verbatim in error messages and the README.
import { z } from 'zod'
import { parseInstant, parseShard, type Shard } from '../helpers/load/shard-spec.ts'

export interface ValueSchema<T> {
  schema: z.ZodType<T, string>
  allowed: string
}

const INT_RE = /^[+-]?\d+$/
const NUM_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

function range(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return `from ${min} to ${max}`
  if (min !== undefined) return `≥ ${min}`
  if (max !== undefined) return `≤ ${max}`
  return ''
}

function intSchema(min?: number, max?: number): z.ZodType<number, string> {
  let n = z.number().int()
  if (min !== undefined) n = n.min(min)
  if (max !== undefined) n = n.max(max)
  return z.string().trim().regex(INT_RE).transform(Number).pipe(n)
}

export function int(min?: number, max?: number): ValueSchema<number> {
  return { schema: intSchema(min, max), allowed: `a whole number ${range(min, max)}`.trim() }
}

/** `gtMin` / `ltMax`: the bound itself is excluded (GPU_MEM_UTIL > 0; a significance level 0 < α < 1). */
export function num(min?: number, max?: number, gtMin = false, ltMax = false): ValueSchema<number> {
  let n = z.number().finite()
  if (min !== undefined) n = gtMin ? n.gt(min) : n.gte(min)
  if (max !== undefined) n = ltMax ? n.lt(max) : n.lte(max)
  const lower = min === undefined ? '' : gtMin ? `> ${min}` : `≥ ${min}`
  const upper = max === undefined ? '' : ltMax ? `< ${max}` : `≤ ${max}`
  const text = (gtMin || ltMax) && lower && upper ? `${lower} and ${upper}` : range(gtMin ? undefined : min, ltMax ? undefined : max) || lower || upper
  return { schema: z.string().trim().regex(NUM_RE).transform(Number).pipe(n), allowed: `a number ${text}`.trim() }
}

/** A threshold in percent (the gate's BENCH_GATE_*_PCT): any number ≥ 0. */
export function pct(): ValueSchema<number> {
  return { schema: num(0).schema, allowed: 'a percentage ≥ 0 (e.g. 10)' }
}

const TRUE = ['1', 'true', 'yes', 'on']
const FALSE = ['0', 'false', 'no', 'off']

export function bool(): ValueSchema<boolean> {
  return {
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum([...TRUE, ...FALSE] as [string, ...string[]]))
      .transform((v) => TRUE.includes(v)),
    allowed: '1/0, true/false, yes/no or on/off',
  }
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T): ValueSchema<T[number]> {
  return { schema: z.string().trim().pipe(z.enum(values)), allowed: `one of ${values.join(', ')}` }
}

// Control characters in a name, path or binary are always a mistake (a stray newline from a heredoc).
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/

export function text(): ValueSchema<string> {
  return { schema: z.string().min(1).regex(NO_CONTROL), allowed: 'a non-empty text without control characters' }
}

/** Text where an empty value is meaningful (ALIAS_SUFFIX=). */
export function anyText(): ValueSchema<string> {
  return { schema: z.string().regex(NO_CONTROL), allowed: 'a text without control characters (may be empty)' }
}

/** Prompts may span lines; only NUL is refused (it cannot travel in JSON bodies of every server). */
export function promptText(): ValueSchema<string> {
  return {
    schema: z
      .string()
      .min(1)
      .regex(/^[^\u0000]*$/),
    allowed: 'a non-empty text without NUL characters',
  }
}

const splitList = (s: string) => s.split(/[\s,]+/).filter((x) => x !== '')

/** Lists accept spaces or commas (`1,8,32` or `"100 90 75"`), at least one item. */
export function intList(min?: number, max?: number): ValueSchema<number[]> {
  return {
    schema: z
      .string()
      .transform(splitList)
      .pipe(z.array(intSchema(min, max)).min(1)),
    allowed: `a list of whole numbers ${range(min, max)}, separated by spaces or commas`.replace('  ', ' '),
  }
}

export function numList(min: number): ValueSchema<number[]> {
  return {
    schema: z
      .string()
      .transform(splitList)
      .pipe(z.array(z.string().regex(NUM_RE).transform(Number).pipe(z.number().finite().gt(min))).min(1)),
    allowed: `a list of numbers > ${min}, separated by spaces or commas`,
  }
}

export function textList(): ValueSchema<string[]> {
  return {
    schema: z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x !== ''),
      )
      .pipe(z.array(z.string()).min(1)),
    allowed: 'a comma-separated list of file paths',
  }
}

export function regex(): ValueSchema<RegExp> {
  return {
    schema: z.string().transform((s, ctx) => {
      try {
        return new RegExp(s)
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message })
        return z.NEVER
      }
    }),
    allowed: 'a JavaScript regular expression that compiles (e.g. ^gemma3:4b$ or llama|qwen)',
  }
}

/** Accepts full URLs and the suite's bare `host:port` form (TRITON_HTTP_A=127.0.0.1:8000); yields `http://host:port` without a trailing slash. */
export function url(): ValueSchema<string> {
  return {
    schema: z
      .string()
      .trim()
      .transform((s) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `http://${s}`))
      .pipe(z.url({ protocol: /^https?$/ }))
      .refine((s) => !/^https?:\/\/(:|\/|$)/.test(s), 'host is missing')
      .transform((s) => s.replace(/\/+$/, '')),
    allowed: 'an http(s) URL or host:port (e.g. http://10.0.0.5:8000 or 127.0.0.1:11434)',
  }
}

/** TRITON_MODELS: `name|alias` pairs separated by spaces or commas; the alias defaults to the name. */
export function pairList(): ValueSchema<{ name: string; alias: string }[]> {
  const pair = z
    .string()
    .regex(/^[^|]+(\|[^|]+)?$/)
    .transform((p) => {
      const [name, alias] = p.split('|')
      return { name, alias: alias ?? name }
    })
  return {
    schema: z.string().transform(splitList).pipe(z.array(pair)),
    allowed: 'model entries `name|alias` (or just `name`) separated by spaces or commas',
  }
}

export function shard(): ValueSchema<Shard> {
  return {
    schema: z.string().transform((v, ctx) => {
      const s = parseShard(v)
      if (s === undefined) ctx.addIssue({ code: 'custom', message: 'not i/n' })
      return s ?? z.NEVER
    }),
    allowed: 'i/n with 1 ≤ i ≤ n (this process is shard i of n), e.g. 1/2',
  }
}

export function instant(): ValueSchema<number> {
  return {
    schema: z.string().transform((v, ctx) => {
      const t = parseInstant(v)
      if (t === undefined) ctx.addIssue({ code: 'custom', message: 'not an instant' })
      return t ?? z.NEVER
    }),
    allowed: 'epoch milliseconds (1764620000000) or an ISO-8601 time with its zone (2026-12-01T20:30:00Z)',
  }
}
