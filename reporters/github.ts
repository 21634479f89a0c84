// GitHub Actions output: `::error` workflow commands (annotations) and a GITHUB_STEP_SUMMARY section.
import { appendFileSync } from 'node:fs'
import type { GateResult } from './gate-types.ts'
import { fileOfKey } from '../core/case-key.ts'
import { gateFailures, inconclusiveText } from './gate-report.ts'
import { ReportWriteError } from './safe-write.ts'

/** Workflow-command escaping (%, CR, LF in the message; also : and , in properties). */
const escData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
const escProp = (s: string) => escData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')

export function annotations(g: GateResult): string[] {
  // file= puts the annotation on the spec that produced the case (GitHub shows it in the diff and the file view)
  const line = (level: 'error' | 'warning', message: string, title = 'fuze-bench gate') => {
    const file = fileOfKey(message)
    return `::${level} ${file ? `file=${escProp(file)},` : ''}title=${escProp(title)}::${escData(message)}`
  }
  const errors = gateFailures(g).map((f) => line('error', f.message))
  // an INCONCLUSIVE run that passes still says so, on every metric it could not decide
  const warnings =
    g.verdict === 'INCONCLUSIVE' && g.passed
      ? g.inconclusive.map((r) => line('warning', `${r.caseKey}: ${inconclusiveText(r)}`, 'fuze-bench gate: inconclusive'))
      : []
  return [...errors, ...warnings]
}

export function isGithubActions(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GITHUB_ACTIONS === 'true'
}

/** Append markdown to the job summary when GITHUB_STEP_SUMMARY names a file. */
export function appendStepSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): void {
  const path = env.GITHUB_STEP_SUMMARY
  if (!path) return
  try {
    appendFileSync(path, `${markdown}\n`)
  } catch (err) {
    throw new ReportWriteError(path, err)
  }
}
