// Runs `fuze-bench <args>` as a real process from the repo root, the way a user or CI does.
import { execa } from 'execa'
import { fileURLToPath } from 'node:url'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))

export async function fuzeBench(args: string[], env: Record<string, string | undefined> = {}) {
  const r = await execa('node', ['cli/bin.mjs', ...args], { cwd: REPO, reject: false, env: { GITHUB_ACTIONS: '', BENCH_BASELINE: '', ...env }, all: true })
  return { code: r.exitCode ?? -1, out: r.all ?? '' }
}
