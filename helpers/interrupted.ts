// When a worker is torn down mid-case (vitest's main process killed, SIGTERM/SIGINT to the worker), the main
// process's reporter never hears of the running case. Its requests are already in requests.jsonl; this writes
// its bench.csv row and a summary.json entry marked incomplete, synchronously, before the worker exits.
// CaseRun (case-runner.ts) calls it for whichever case is running.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { appendCsv16Row, caseFromMeta, newRunSummary, writeSummaryJson, type RunSummary } from '../reporters/run-folder.ts'
import { runId } from './run-dir.ts'
import type { CaseMeta } from './types.ts'

/** `meta`: the case summarised as incomplete; `measured`: whether any measured request finished (else no row). */
export function flushInterruptedCase(meta: CaseMeta, measured: boolean, fullName: string, requests: number): void {
  const path = join(meta.runDir, 'summary.json')
  const summary: RunSummary = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as RunSummary) : newRunSummary(runId(), meta.finishedAt)
  summary.incomplete = true
  // a row only for a case that measured something: an empty row would read as a 0 tok/s result
  if (measured) {
    appendCsv16Row(meta.runDir, meta)
    summary.cases.push(caseFromMeta(meta))
  }
  writeSummaryJson(meta.runDir, summary)
  process.stderr.write(`fuze-bench: interrupted during "${fullName}"; its ${requests} request(s) so far are kept in ${meta.runDir} and marked incomplete.\n`)
}
