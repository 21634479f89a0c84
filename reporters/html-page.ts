// The shell of fuze-bench's HTML pages (report.html, compare.html): one self-contained file with Chart.js, the
// shared styles, the page's data as JSON and its script inlined, so it opens from disk with no network.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { quantileSorted } from 'simple-statistics'

const ASSETS = join(dirname(fileURLToPath(import.meta.url)), 'assets')

/**
 * Sorted finite samples, thinned to ≤ 101 quantiles: enough for a distribution (ECDF) chart, small in the page.
 * Takes one list or several (each request's ITLs): they are copied once into a Float64Array and sorted natively, so a
 * 200,000-request case's million ITL values cost 8 bytes each, not a flattened, filtered and comparator-sorted array.
 */
export function thinCdf(values: ArrayLike<number> | readonly ArrayLike<number>[]): number[] {
  const lists = isListOfLists(values) ? values : [values]
  let n = 0
  for (const l of lists) n += l.length
  const s = new Float64Array(n)
  let k = 0
  for (const l of lists)
    for (let i = 0; i < l.length; i++) {
      const v = l[i]!
      if (Number.isFinite(v)) s[k++] = v
    }
  const sorted = s.subarray(0, k).sort()
  if (k <= 101) return Array.from(sorted)
  return Array.from({ length: 101 }, (_, i) => quantileSorted(sorted as unknown as number[], i / 100))
}

function isListOfLists(v: ArrayLike<number> | readonly ArrayLike<number>[]): v is readonly ArrayLike<number>[] {
  return Array.isArray(v) && v.length > 0 && typeof v[0] !== 'number'
}

/** JSON safe inside a <script> element: no `</script>`, no `<!--`, no JS line separators. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

function chartJsSource(): string {
  const require = createRequire(import.meta.url)
  // chart.js's exports map hides dist/chart.umd.js; it sits beside the resolved entry point
  const src = readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.js'), 'utf8')
  return src.replace(/\/\/# sourceMappingURL=\S+\s*$/, '').replace(/<\/script/gi, '<\\/script')
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c)

/** A page: `script` (a file in assets/) renders it from the JSON in #fuze-data with the helpers of assets/page-kit.js. */
export function htmlPage(title: string, data: unknown, script: string): string {
  const css = readFileSync(join(ASSETS, 'report.css'), 'utf8')
  const kit = readFileSync(join(ASSETS, 'page-kit.js'), 'utf8')
  const page = readFileSync(join(ASSETS, script), 'utf8')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${css}</style>
</head>
<body>
<div id="app"><noscript>This page draws its charts with JavaScript; enable it to see them.</noscript></div>
<script id="fuze-data" type="application/json">${scriptJson(data)}</script>
<script>${chartJsSource()}</script>
<script>${kit}</script>
<script>${page}</script>
</body>
</html>
`
}
