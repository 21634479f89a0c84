// Tests that need permissions to apply (a read-only folder) drop from root to `nobody` (uid 65534) with setpriv.
// That user must be able to reach the checkout: a clone in a private folder (`mktemp -d` is 0700, a container's
// /root is 0700) is closed to it. Such a test then skips and prints why, instead of failing on something unrelated.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

export const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] as const

/** Undefined when this process can run `root`'s files as `nobody`, else why not (one line). */
export function whyNotAsNobody(root: string): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: the test runs as this user, who cannot drop to nobody'
  if (!existsSync('/usr/bin/setpriv')) return 'no /usr/bin/setpriv (util-linux) to run a command as nobody'
  try {
    execFileSync(NOBODY[0], [...NOBODY.slice(1), 'test', '-r', join(root, 'package.json')], { stdio: 'ignore', timeout: 10_000 })
    return undefined
  } catch {
    return `user nobody (uid 65534) cannot read ${root}: a folder above it is closed to other users (e.g. a clone under mktemp -d or /root); clone into a world-readable folder to run it`
  }
}

/**
 * Skips the running test (with the reason as its note, printed on stderr too) when it must run as nobody and nobody
 * cannot reach `root`. Decided at run time, not collection, so `vitest list` still names the test
 * (test/faults/table.test.ts checks docs/faults.md against that list).
 */
export function skipUnlessNobodyCanRun(ctx: { skip: (note?: string) => void }, root: string, test: string): void {
  const why = whyNotAsNobody(root)
  if (!why) return
  process.stderr.write(`skipped "${test}": ${why}\n`)
  ctx.skip(why)
}
