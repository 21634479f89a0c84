// Telemetry attached to every case through the case lifecycle hooks (helpers/case-hooks.ts): samplers start when
// the measured phase starts and stop when it ends, and their figures land in summary.sections.telemetry (and the registry's J/token, $/1M tokens… fields). Imported once for
// its effect by helpers/index.ts, so every spec gets it.
import { onCaseEnd, onCaseStart, type CaseContext } from '../case-hooks.ts'
import type { CaseTelemetryRun } from './case-telemetry.ts'
import { finishTelemetry, startTelemetry } from './for-case.ts'
import { TELEMETRY_SECTION } from './types.ts'

const runs = new WeakMap<CaseContext, CaseTelemetryRun>()

onCaseStart(async function telemetryStart(ctx) {
  const run = await startTelemetry(ctx.server, ctx.ident)
  if (run) runs.set(ctx, run)
})

onCaseEnd(async function telemetryEnd(ctx, summary) {
  const run = runs.get(ctx)
  runs.delete(ctx)
  const telemetry = await finishTelemetry(run, summary, { t0: ctx.t0, window: ctx.measuredWindow(), sentOutputTokens: ctx.sentOutputTokens() })
  if (telemetry) ctx.attach(TELEMETRY_SECTION, telemetry)
})
