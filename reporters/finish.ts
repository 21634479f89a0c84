// End of a bench run: hand the run in hand (its summary as the reporter holds it) to finalizeRun (summary.csv,
// aggregate, best-of, summaries, gate, HTML), which takes its settings from this process's validated knobs.
import { finalizeRun } from './finalize.ts'
import type { FinishHook } from './fuze-reporter.ts'

export const finishRun: FinishHook = async ({ runDir, resultsDir, summary, print }) => finalizeRun({ runDir, resultsDir, summary, print })
