// Env files are data, not shell: KEY=VALUE lines, optional `export `, quotes, `# comments`.
// The FuZe suite *sourced* them (arbitrary code ran); here nothing is executed. `$NAME`/`${NAME}`
// are expanded from earlier lines of the same file, then the process environment, because
// existing files rely on it (MODEL_DIR=$HOME/models); `$(…)` and backticks are rejected.
import { readFileSync } from 'node:fs'
import { FuzeError } from '../helpers/errors.ts'

export interface EnvEntry {
  key: string
  value: string
  line: number
}

export interface EnvFileIssue {
  line: number
  text: string
  reason: string
}

export class EnvFileError extends FuzeError {
  constructor(
    readonly path: string,
    readonly issues: EnvFileIssue[],
  ) {
    super(
      `${path}: ${issues.map((i) => `line ${i.line} (${JSON.stringify(i.text)}): ${i.reason}`).join('; ')}. ` +
        'Env files hold KEY=VALUE lines (optional `export `, quotes, `# comments`); fix or remove these lines.',
    )
    this.name = 'EnvFileError'
  }
}

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/

function expand(value: string, known: Map<string, string>, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, a: string, b: string) => {
    const name = a ?? b
    return known.get(name) ?? env[name] ?? ''
  })
}

/** Parses one value (text after `=`); returns the value or throws a reason string. */
function parseValue(raw: string, known: Map<string, string>, env: NodeJS.ProcessEnv): string {
  const s = raw.trimStart()
  const quote = s[0]
  if (quote === "'" || quote === '"') {
    let out = ''
    let i = 1
    for (; i < s.length && s[i] !== quote; i++) {
      if (quote === '"' && s[i] === '\\' && i + 1 < s.length) {
        const next = s[++i]
        out += next === 'n' ? '\n' : next === 't' ? '\t' : next
      } else out += s[i]
    }
    if (i >= s.length) throw `unterminated ${quote === '"' ? 'double' : 'single'} quote (values cannot span lines)`
    const rest = s.slice(i + 1)
    if (rest.trim() !== '' && !/^\s+#/.test(rest)) throw `unexpected text after the closing quote: ${JSON.stringify(rest.trim())}`
    if (quote === "'") return out
    if (/\$\(|`/.test(out)) throw 'command substitution ($(…) or backticks) is not run; write the value itself'
    return expand(out, known, env)
  }
  // Unquoted: a `#` starts a comment only after whitespace (so `a#b` stays literal, like in shells).
  const value = s.replace(/(^|\s+)#.*$/, '').trim()
  if (/\$\(|`/.test(value)) throw 'command substitution ($(…) or backticks) is not run; write the value itself'
  if (/\s/.test(value)) throw 'a value with spaces must be quoted ("…" or \'…\')'
  return expand(value, known, env)
}

export function parseEnvText(text: string, path: string, env: NodeJS.ProcessEnv = process.env): { entries: EnvEntry[] } {
  const entries: EnvEntry[] = []
  const issues: EnvFileIssue[] = []
  const known = new Map<string, string>()
  text.split(/\r?\n/).forEach((rawLine, idx) => {
    const line = idx + 1
    const trimmed = rawLine.trim()
    if (trimmed === '' || trimmed.startsWith('#')) return
    const body = trimmed.replace(/^export\s+/, '')
    const eq = body.indexOf('=')
    if (eq < 0) {
      issues.push({ line, text: trimmed, reason: 'no `=`; expected KEY=VALUE' })
      return
    }
    const key = body.slice(0, eq).trim()
    if (!KEY_RE.test(key) || body.slice(0, eq) !== key) {
      issues.push({ line, text: trimmed, reason: `'${body.slice(0, eq)}' is not a variable name (letters, digits, _; no spaces around =)` })
      return
    }
    try {
      const value = parseValue(body.slice(eq + 1), known, env)
      known.set(key, value)
      entries.push({ key, value, line })
    } catch (reason) {
      issues.push({ line, text: trimmed, reason: String(reason) })
    }
  })
  if (issues.length) throw new EnvFileError(path, issues)
  return { entries }
}

/** Reads and parses an env file; throws EnvFileError naming every bad line, or the read error. */
export function parseEnvFile(path: string, env: NodeJS.ProcessEnv = process.env): { entries: EnvEntry[] } {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    throw new EnvFileError(path, [{ line: 0, text: '', reason: e.code === 'ENOENT' ? 'file not found' : e.message }])
  }
  return parseEnvText(text, path, env)
}
