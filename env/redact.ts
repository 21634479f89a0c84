// Secrets never reach env.json, logs or error messages: values of *_KEY, *_TOKEN, *_SECRET,
// *_PASSWORD and Authorization are replaced, as keys of objects and inside strings (argv entries
// like `HF_TOKEN=abc`, header lines like `Authorization: Bearer abc`, URLs with user:password@).
export const REDACTED = '***'

const SECRET_NAME = /(^|[_-])(KEY|TOKEN|SECRET|PASSWORD)$|^authorization$|^(token|secret|password)$/i

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name)
}

function redactString(s: string): string {
  return s
    .replace(/\b(Bearer|Basic|Token)\s+[^\s"',;]+/gi, `$1 ${REDACTED}`)
    .replace(/\b([A-Za-z_][A-Za-z0-9_-]*)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s"',;&]+)/g, (m, name: string, sep: string, value: string) =>
      isSecretName(name) && !value.startsWith(REDACTED) && !/^(Bearer|Basic|Token)$/i.test(value) ? `${name}${sep}${REDACTED}` : m,
    )
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+):[^/\s@]+@/gi, `$1:${REDACTED}@`)
}

export function redact<T>(value: T): T {
  if (typeof value === 'string') return redactString(value) as T
  if (Array.isArray(value)) return value.map((v) => redact(v)) as T
  if (value && typeof value === 'object' && !(value instanceof RegExp) && !(value instanceof Date)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretName(k) && v !== undefined && v !== null && v !== '' ? REDACTED : redact(v)
    }
    return out as T
  }
  return value
}
