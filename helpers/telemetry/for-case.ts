// The two calls a case runner makes: start the samplers when a case starts, summarise them into its summary when
// it ends. Telemetry never fails a case: a sampler that cannot start or summarise becomes a warning line.
import type { ServerRef } from '../../fixtures/server.ts'
import type { CaseSummary } from '../types.ts'
import { telemetryValues } from '../metrics/registry.ts'
import { startCaseTelemetry, type CaseTelemetryRun, type MeasuredPhase } from './case-telemetry.ts'
import type { CaseTelemetry } from './types.ts'

export async function startTelemetry(server: ServerRef, ident: { file: string; fullName: string }): Promise<CaseTelemetryRun | undefined> {
  const target = server.telemetryTarget?.()
  if (!target) return undefined
  try {
    return await startCaseTelemetry(target, ident)
  } catch (e) {
    console.warn(`${target.label} telemetry could not start for '${ident.fullName}': ${(e as Error).message}; the case is measured without it`)
    return undefined
  }
}

/** Stop the samplers (async: where the case can still await, e.g. right after its last request). */
export async function stopTelemetry(run: CaseTelemetryRun | undefined): Promise<void> {
  await run?.stop()
}

/**
 * The case's telemetry (synchronous, after stopTelemetry), with its scalars (J/token, $/1M tokens, W…) written into the
 * summary's registry fields; undefined when there was none.
 */
export function summariseTelemetry(run: CaseTelemetryRun | undefined, summary: CaseSummary, phase: MeasuredPhase): CaseTelemetry | undefined {
  if (!run) return undefined
  try {
    const telemetry = run.summarise(summary, phase)
    const inputs = { requests: summary.counts.requests, ok: summary.counts.ok, wallMs: summary.wallMs, sum: 0, dists: {}, telemetry }
    Object.assign(summary, telemetryValues(inputs))
    return telemetry
  } catch (e) {
    summary.warnings.push(`telemetry: could not be summarised (${(e as Error).message}); the latency figures are unaffected`)
    return undefined
  }
}

export async function finishTelemetry(run: CaseTelemetryRun | undefined, summary: CaseSummary, phase: MeasuredPhase): Promise<CaseTelemetry | undefined> {
  await stopTelemetry(run)
  return summariseTelemetry(run, summary, phase)
}
