// Run `vitest bench` as a user would (a child process with its own results folder) and read what it wrote.
import { mkdtempSync, readdirSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa, type ResultPromise } from 'execa'
import { waitFor } from './procs.ts'

export const ROOT = resolve(import.meta.dirname, '..', '..')

/** The environment a fresh shell would have: no vitest worker variables, no run folder of ours. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('VITEST') || k.startsWith('FUZE_RUN') || k === 'TEST' || k === 'NODE_ENV') continue
    env[k] = v
  }
  return { ...env, ...extra }
}

export function tempResults(prefix = 'fuze-results-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export interface BenchRun {
  child: ResultPromise<{ all: true; reject: false; extendEnv: false; detached: boolean }>
  resultsDir: string
}

/**
 * Start `vitest bench --run <args>` in the repo with LOG_DIR at a fresh temp folder. Runs vitest's own entry with node
 * (what `npx vitest` ends up running) so the child's pid is vitest's main process — signals in tests reach it directly.
 */
export function startBench(
  args: string[],
  env: Record<string, string | undefined> = {},
  resultsDir = tempResults(),
  opts: { detached?: boolean } = {},
): BenchRun {
  const child = execa(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'bench', '--run', ...args], {
    cwd: ROOT,
    env: cleanEnv({ LOG_DIR: resultsDir, CI: 'true', ...env }),
    extendEnv: false,
    all: true,
    reject: false,
    // its own process group, so a test can signal the group the way a terminal's Ctrl-C does
    detached: opts.detached ?? false,
  })
  return { child, resultsDir }
}

/** The single run folder a bench run created under resultsDir. */
export function onlyRunDir(resultsDir: string): string {
  const dirs = readdirSync(resultsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => join(resultsDir, d.name))
  if (dirs.length !== 1) throw new Error(`expected one run folder in ${resultsDir}, found ${dirs.length}`)
  return dirs[0]
}

export function exists(...parts: string[]): boolean {
  return existsSync(join(...parts))
}

/** Poll (bounded) until the run has created its folder under resultsDir and `ready(dir)` holds; returns the folder. */
export async function waitForRunDir(resultsDir: string, ready: (dir: string) => boolean, what: string): Promise<string> {
  let dir = ''
  await waitFor(() => {
    try {
      dir = onlyRunDir(resultsDir)
    } catch {
      return false
    }
    return ready(dir)
  }, what)
  return dir
}
