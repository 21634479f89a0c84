// When a worker is torn down mid-case (vitest's main process killed, SIGTERM/SIGINT to the worker), the main
// process's reporter never hears of the running case. Its requests are already in requests.jsonl; this writes
// its bench.csv row and a summary.json entry marked incomplete, synchronously, before the worker exits.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { appendCsv16Row, caseFromMeta, newRunSummary, writeSummaryJson, type RunSummary } from '../reporters/run-folder.ts'
import type { ServerRef } from '../fixtures/server.ts'
import { caseMeta, type CaseIdent, type CaseOptions } from './case-run.ts'
import { runId } from './run-dir.ts'
import type { RequestRecord } from './types.ts'

/** The case being measured now (llm-bench keeps it), so an interrupted worker can still flush what it has. */
export interface ActiveCase {
  ident: CaseIdent
  records: RequestRecord[]
  server: ServerRef
  opts: CaseOptions
}

export function flushInterruptedCase(c: ActiveCase | undefined): void {
  if (!c) return
  const meta = caseMeta(c.server, c.opts, c.ident, c.records, true)
  const path = join(meta.runDir, 'summary.json')
  const summary: RunSummary = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as RunSummary) : newRunSummary(runId(), meta.finishedAt)
  summary.incomplete = true
  // a row only for a case that measured something: an empty row would read as a 0 tok/s result
  if (c.records.some((r) => r.phase === 'run')) {
    appendCsv16Row(meta.runDir, meta)
    summary.cases.push(caseFromMeta(meta))
  }
  writeSummaryJson(meta.runDir, summary)
  process.stderr.write(`fuze-bench: interrupted during "${c.ident.fullName}"; its ${c.records.length} request(s) so far are kept in ${meta.runDir} and marked incomplete.\n`)
}
