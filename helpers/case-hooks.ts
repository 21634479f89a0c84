// Case lifecycle hooks: the one place other parts of the harness attach to every measured case (sequential,
// load, sweep variant, and any case kind built on helpers/case-runner.ts), without touching the runner.
//
// Extension points:
// - onCaseStart(fn): called (and awaited) when the measured phase of a case begins — after warmup, right before
//   the first measured request. `ctx.t0` is that moment (performance.now()); start samplers here (server
//   metrics, GPU/CPU power) and keep their state keyed by `ctx` (a WeakMap) or in a closure.
// - onCaseEnd(fn): called (and awaited) once the measured phase is over and the summary is built, before it is
//   handed to the reporters. Add what you measured with `ctx.attach(name, value)`: it lands in
//   `summary.sections[name]` (summary.json, the HTML report's data). A hook may also push to `summary.warnings`
//   or `summary.failures` (a failure fails the run). Stop samplers here.
// - An interrupted case (signal, vitest gone) runs no end hook: its summary is written synchronously at exit.
// A hook that throws does not lose the case: the error becomes a summary warning naming the hook.
//
// New case kinds (multi-turn, trace replay, capacity search, …) need no hook of their own: they run through
// CaseRun (helpers/case-runner.ts), which calls these for them. This file imports nothing at run time so
// anything may import it.
import type { ServerRef } from '../fixtures/server.ts'
import type { CaseSummary } from './types.ts'

/** Which runner shape measured the case: a case kind added later names itself here. */
export type CaseKind = 'sequential' | 'load' | 'sweep-variant' | (string & {})

/** Names of one case, as requests.jsonl and the summaries carry them. */
export interface CaseIdent {
  caseName: string
  /** `describe > … > case` (without the file). */
  fullName: string
  file: string
}

export interface CaseContext {
  readonly kind: CaseKind
  readonly ident: CaseIdent
  readonly server: ServerRef
  /** performance.now() at the start of the measured phase, after the start hooks (request timelines are relative to it). */
  readonly t0: number
  /** Wall-clock ISO time of t0. */
  readonly startedAt: string
  /**
   * First send → last end of the measured requests so far, in ms since t0 (undefined before the first ends); in end
   * hooks, the window the summary's wallMs measures (telemetry integrates power over it).
   */
  measuredWindow(): { startMs: number; endMs: number } | undefined
  /**
   * Output tokens (as the server reported them) of every ok request this process sent in the measured phase — all
   * probes of a capacity search, not only the one its figures show; undefined when other processes sent them.
   */
  sentOutputTokens(): number | undefined
  /** Add an extra section to the case summary (`summary.sections[name]`); the last value for a name wins. */
  attach(name: string, value: unknown): void
}

export type CaseStartHook = (ctx: CaseContext) => void | Promise<void>
export type CaseEndHook = (ctx: CaseContext, summary: CaseSummary) => void | Promise<void>

const starts: CaseStartHook[] = []
const ends: CaseEndHook[] = []

/** Register a hook for the start of every case's measured phase; returns a function that removes it. */
export function onCaseStart(fn: CaseStartHook): () => void {
  starts.push(fn)
  return () => void starts.splice(starts.indexOf(fn) >>> 0, 1)
}

/** Register a hook for the end of every case; returns a function that removes it. */
export function onCaseEnd(fn: CaseEndHook): () => void {
  ends.push(fn)
  return () => void ends.splice(ends.indexOf(fn) >>> 0, 1)
}

function hookName(fn: (...args: never[]) => unknown): string {
  return fn.name || 'anonymous hook'
}

/** Runner side: call every start hook in registration order; failures come back as warning lines. */
export async function runCaseStart(ctx: CaseContext): Promise<string[]> {
  const warnings: string[] = []
  for (const fn of [...starts]) {
    try {
      await fn(ctx)
    } catch (e) {
      warnings.push(`case start hook ${hookName(fn)} failed: ${(e as Error).message}`)
    }
  }
  return warnings
}

/** Runner side: call every end hook in registration order; a failing hook becomes a warning on the summary. */
export async function runCaseEnd(ctx: CaseContext, summary: CaseSummary): Promise<void> {
  for (const fn of [...ends]) {
    try {
      await fn(ctx, summary)
    } catch (e) {
      summary.warnings.push(`case end hook ${hookName(fn)} failed: ${(e as Error).message}`)
    }
  }
}
