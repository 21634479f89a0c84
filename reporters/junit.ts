// JUnit XML for CI systems that show test results (BENCH_JUNIT=path): one testcase per bench case,
// a <failure> per health failure or regressed metric.
import { caseKey } from '../core/case-key.ts'
import type { GateResult } from './gate-types.ts'
import { regressionText } from './gate-report.ts'
import type { RunData } from './run-data.ts'
import { writeFileAtomic } from './safe-write.ts'

const xml = (s: string) =>
  s
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')

export function junitXml(run: RunData, g: GateResult): string {
  const cases = run.summary?.cases ?? []
  const keys = [...new Set([...cases.map(caseKey), ...g.failures.map((f) => f.caseKey)])]
  const body: string[] = []
  let failed = 0
  for (const key of keys) {
    const c = cases.find((x) => caseKey(x) === key)
    const msgs = [...g.failures.filter((f) => f.caseKey === key).map((f) => f.message), ...g.regressions.filter((r) => r.caseKey === key).map(regressionText)]
    const classname = c ? `${c.stack}.${c.model}` : 'fuze-bench'
    const time = c ? (c.summary.wallMs / 1000).toFixed(3) : '0'
    body.push(`  <testcase classname="${xml(classname)}" name="${xml(key)}" time="${time}">`)
    if (msgs.length) {
      failed++
      body.push(`    <failure message="${xml(msgs[0])}" type="fuze-bench-gate">${xml(msgs.join('\n'))}</failure>`)
    }
    if (c)
      body.push(`    <system-out>${xml(`tok/s ${c.summary.tokensPerSec.toFixed(2)}, ok ${c.summary.counts.ok}/${c.summary.counts.requests}`)}</system-out>`)
    body.push('  </testcase>')
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="fuze-bench" tests="${keys.length}" failures="${failed}">`,
    `<testsuite name="fuze-bench gate ${xml(g.runId)}" tests="${keys.length}" failures="${failed}" errors="0">`,
    ...body,
    '</testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}

export function writeJunit(path: string, run: RunData, g: GateResult): void {
  writeFileAtomic(path, junitXml(run, g))
}
