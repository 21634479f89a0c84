// Prometheus text exposition (format 0.0.4) → series. One parser for every stack's /metrics: the sampler
// keeps each series under its original name, the stacks' TTFT snapshot sums one histogram's _sum/_count.

export interface PromSeries {
  /** Metric name as exposed, e.g. `vllm:num_requests_running` or `vllm:e2e_request_latency_seconds_bucket`. */
  name: string
  /** The label text as exposed, without braces (`model_name="m",le="0.5"`); '' when there are none. */
  labels: string
  value: number
}

// name, optional {labels} (label values may contain '}' inside quotes), value, optional timestamp
const LINE = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/

function parseValue(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Number.POSITIVE_INFINITY
  if (s === '-Inf') return Number.NEGATIVE_INFINITY
  return Number(s)
}

/** Every sample line; comments, blank and malformed lines are skipped (a scrape is never all-or-nothing). */
export function parsePromText(text: string): PromSeries[] {
  const out: PromSeries[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const m = LINE.exec(line)
    if (!m) continue
    const value = parseValue(m[3])
    if (Number.isNaN(value)) continue
    out.push({ name: m[1], labels: m[2]?.trim().replace(/,$/, '') ?? '', value })
  }
  return out
}

/** `name{labels}` — the key a series is stored under in the per-case sample files. */
export function seriesKey(s: Pick<PromSeries, 'name' | 'labels'>): string {
  return s.labels ? `${s.name}{${s.labels}}` : s.name
}

/** The metric name of a stored series key. */
export function nameOfKey(key: string): string {
  const i = key.indexOf('{')
  return i < 0 ? key : key.slice(0, i)
}

/** Sum of one metric over all its label sets; undefined when the metric is absent. */
export function sumOf(values: Record<string, number>, name: string): number | undefined {
  let sum = 0
  let seen = false
  for (const [k, v] of Object.entries(values)) {
    if (nameOfKey(k) !== name || !Number.isFinite(v)) continue
    sum += v
    seen = true
  }
  return seen ? sum : undefined
}
