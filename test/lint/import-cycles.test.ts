// The import-cycle check that `npm test` runs (test/support/import-cycles.ts), run as a process on small
// trees: it must fail, naming every edge, on a loop made only of type imports and re-exports, and pass
// once the shared type sits in a leaf module.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { execa } from 'execa'
import { afterEach, expect, it } from 'vitest'
import { ROOT } from '../support/run-bench.ts'

const SCRIPT = join(ROOT, 'test', 'support', 'import-cycles.ts')
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx')
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fuze-cycles-'))
  dirs.push(dir)
  const all: Record<string, string> = {
    'package.json': '{ "type": "module" }\n',
    'tsconfig.json': JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true, noEmit: true },
      include: ['**/*.ts'],
    }),
    ...files,
  }
  for (const [name, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return dir
}

const check = (dir: string) => execa(TSX, [SCRIPT, dir], { reject: false })

it('fails on a cycle made of a type-only import and a re-export, naming each edge', async () => {
  const dir = tree({
    'run.ts': "import type { Row } from './row.ts'\nexport const rows: Row[] = []\n",
    'row.ts': "export { fmt } from './fmt.ts'\nexport interface Row { n: number }\n",
    'fmt.ts': "import type { rows } from './run.ts'\nexport const fmt = (r: typeof rows) => r.length\n",
    'leaf.ts': 'export const alone = 1\n',
  })
  const r = await check(dir)
  expect(r.exitCode).toBe(1)
  expect(r.stderr).toContain('1 import cycle(s) between files (type-only imports count):')
  expect(r.stderr).toContain('  fmt.ts, row.ts, run.ts\n')
  for (const edge of ['fmt.ts -> run.ts', 'row.ts -> fmt.ts', 'run.ts -> row.ts']) expect(r.stderr).toContain(`    ${edge}\n`)
  expect(r.stderr).not.toContain('leaf.ts')
  expect(r.stderr).toContain('leaf module')
})

it('passes once the shared type lives in a leaf module', async () => {
  const dir = tree({
    'row-type.ts': 'export interface Row { n: number }\n',
    'run.ts': "import type { Row } from './row-type.ts'\nexport const rows: Row[] = []\n",
    'fmt.ts': "import type { Row } from './row-type.ts'\nexport const fmt = (r: Row[]) => r.length\n",
  })
  const r = await check(dir)
  expect(r.stderr).toBe('')
  expect(r.stdout).toBe('import cycles: none among 3 files')
  expect(r.exitCode).toBe(0)
})

it('fails on an import against the folder layering (a core file importing reporters/), naming it', async () => {
  const dir = tree({ 'core/key.ts': "import { page } from '../reporters/page.ts'\nexport const key = page\n", 'reporters/page.ts': 'export const page = 1\n' })
  const r = await check(dir)
  expect(r.exitCode).toBe(1)
  expect(r.stderr).toContain('1 import(s) against the folder layering')
  expect(r.stderr).toContain('  core/key.ts -> reporters/page.ts\n')
  // the other way round is the layering
  const ok = tree({ 'core/key.ts': 'export const key = 1\n', 'reporters/page.ts': "import { key } from '../core/key.ts'\nexport const page = key\n" })
  expect((await check(ok)).exitCode).toBe(0)
})
