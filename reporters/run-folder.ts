// Files of one run folder written by the main process as the run goes: bench.csv rows, summary.json, env.json.
// Every rewrite is temp-file + rename so a crash never leaves a half-written file.
import { appendFileSync, existsSync, mkdirSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { CaseMeta, CaseSummary, RowContext } from '../helpers/types.ts'
import { CSV16_HEADER_LINE, csv16Fields, csvLine } from './csv16.ts'
import { writeFileAtomic } from './safe-write.ts'
import { FuzeError } from '../helpers/errors.ts'

export interface SummaryCase {
  fullName: string
  file: string
  stack: string
  model: string
  row: RowContext
  summary: CaseSummary
  finishedAt: string
}

export interface RunSummary {
  runId: string
  host: string
  startedAt: string
  /** null while the run is still going (or was interrupted) */
  finishedAt: string | null
  incomplete: boolean
  cases: SummaryCase[]
  skipped: { file: string; reason: string }[]
}

export class ResultsWriteError extends FuzeError {}

function wrap<T>(path: string, fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    throw new ResultsWriteError(
      `Could not write ${path}: ${(e as NodeJS.ErrnoException).code ?? ''} ${(e as Error).message}. The measurements of this run are ` +
        `kept in memory and printed below; make the results folder writable (or point LOG_DIR at one) and run again.`,
    )
  }
}

export function appendCsv16Row(runDir: string, meta: CaseMeta): void {
  const path = join(runDir, 'bench.csv')
  wrap(path, () => {
    mkdirSync(runDir, { recursive: true })
    const line = csvLine(csv16Fields(meta.finishedAt, meta.row, meta.summary.tokensPerSec))
    // header and row in one write when the file is new, so the file is never a header alone by accident
    appendFileSync(path, existsSync(path) ? line : CSV16_HEADER_LINE + line)
  })
}

export function caseFromMeta(meta: CaseMeta): SummaryCase {
  const s = meta.summary
  return { fullName: s.fullName, file: s.file, stack: s.stack, model: s.model, row: meta.row, summary: s, finishedAt: meta.finishedAt }
}

export function newRunSummary(runId: string, startedAt: string): RunSummary {
  return { runId, host: hostname(), startedAt, finishedAt: null, incomplete: true, cases: [], skipped: [] }
}

export function writeSummaryJson(runDir: string, summary: RunSummary): void {
  mkdirSync(runDir, { recursive: true })
  writeFileAtomic(join(runDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`)
}
