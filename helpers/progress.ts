// One console line per finished case, printed by the worker as the case ends (vitest itself prints nothing
// until a whole spec file is done, which for load and sweep files is minutes of silence):
//   ✓ llama.cpp tiny-random › tiny-random on llama.cpp > decode short prompt · 1200.8 tok/s · TTFT p50 50.2 ms · 10/10 ok · 3.1 s
// Load cases add output tok/s and req/s; sweep variants say which candidate of how many they were.
// Written with process.stdout.write: a worker's raw stdout is piped to vitest's stdout as is, where
// console.log would come with vitest's "stdout | file" banner.
import { onCaseEnd } from './case-hooks.ts'
import type { CaseSummary } from './types.ts'

let note: string | undefined

/** What the next finished case's line says after its name (a sweep's "candidate 2/7"); undefined clears it. */
export function setProgressNote(text: string | undefined): void {
  note = text
}

const ms = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(1))
const secs = (v: number) => (v < 60_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.floor(v / 60_000)} min ${Math.round((v % 60_000) / 1000)} s`)

/** The progress line of one case (exported for tests). */
export function progressLine(s: CaseSummary, elapsedMs: number, extra?: string): string {
  // ✗ nothing measured; ! measured but flagged (client-bound, error rate…: the reason follows); ✓ clean
  const mark = s.counts.ok === 0 ? '✗' : s.failures.length > 0 ? '!' : '✓'
  const parts = [
    `${mark} ${s.stack} ${s.model} › ${s.fullName}${extra ? ` (${extra})` : ''}`,
    `${s.tokensPerSec.toFixed(1)} tok/s`,
    ...(s.load ? [`out ${s.outputTokenThroughput.toFixed(1)} tok/s`, `${s.requestThroughput.toFixed(2)} req/s`] : []),
    `TTFT p50 ${ms(s.ttftMs.p50)} ms`,
    `${s.counts.ok}/${s.counts.requests} ok`,
    secs(elapsedMs),
    // percentiles a client stall could have moved while the medians stand (client-health.ts): flagged, not failed
    ...(s.clientHealth?.stallMoved ? [`${s.clientHealth.stallMoved.stats.join('/')} may include a client stall`] : []),
    // an open loop whose queue grew without bound: stopped early, no steady state (load/saturation.ts)
    ...(s.load?.saturation ? [`past saturation: stopped after ${s.load.saturation.afterS.toFixed(1)} s of arrivals`] : []),
  ]
  const why = s.failures[0]?.message
  return `${parts.join(' · ')}${why ? ` — ${why.length > 120 ? `${why.slice(0, 119)}…` : why}` : ''}`
}

/** Print the line of a finished case (with the current note); sweeps call it for candidates that never ran. */
export function printProgress(s: CaseSummary, elapsedMs: number): void {
  process.stdout.write(`${progressLine(s, elapsedMs, note)}\n`)
}

onCaseEnd(function progress(ctx, summary) {
  printProgress(summary, performance.now() - ctx.t0)
})
