// docs/faults.md must stay true: every fault 1–16 has a row, and every test a row names exists (asked of vitest
// itself with `vitest list`, so generated test names count too).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { expect, it } from 'vitest'
import { cleanEnv, ROOT } from '../support/run-bench.ts'

it('docs/faults.md names only tests that exist, and covers faults 1–16', async () => {
  const doc = readFileSync(join(ROOT, 'docs', 'faults.md'), 'utf8')
  const rows = doc.split('\n').filter((l) => /^\| \d+ \|/.test(l))
  expect(new Set(rows.map((r) => Number(r.split('|')[1])))).toEqual(new Set(Array.from({ length: 16 }, (_, i) => i + 1)))
  const r = await execa(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'list', 'test/faults', '--project', 'unit', '--json'], {
    cwd: ROOT,
    env: cleanEnv(),
    extendEnv: false,
    reject: false,
  })
  const listed = JSON.parse(r.stdout) as { name: string; file: string }[]
  for (const row of rows) {
    const cell = row.split('|')[4]
    const file = /`([\w.-]+\.test\.ts)`/.exec(cell)?.[1]
    expect(file, row).toBeDefined()
    const names = [...cell.slice(cell.indexOf('›') + 1).matchAll(/`([^`]+)`/g)].map((m) => m[1])
    expect(names.length, row).toBeGreaterThan(0)
    for (const n of names) {
      const hit = listed.some((t) => t.file.endsWith(`/test/faults/${file}`) && t.name.split(' > ').at(-1)!.startsWith(n))
      expect(hit, `${file} › ${n}`).toBe(true)
    }
  }
})
