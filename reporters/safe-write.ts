// Writes that never leave a half-written file behind (temp file + rename in the same folder) and a
// cross-process lock for read-modify-write of shared files such as results/benchmarks.csv.
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { acquireLock, type FileLock } from '../fixtures/lock.ts'
import { FuzeError } from '../helpers/errors.ts'

export class ReportWriteError extends FuzeError {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException)?.code
    super(
      `could not write ${path}${code ? ` (${code})` : ''}: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        `Nothing was half-written; the previous file (if any) is unchanged. Make the folder writable or point ` +
        `BENCH_RESULTS_DIR (alias LOG_DIR) at a writable folder, then run \`npx fuze-bench collect\` to add this run.`,
      { cause },
    )
    this.name = 'ReportWriteError'
  }
}

/** Write `data` to `path` atomically: readers see the old file or the new one, never a prefix. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`)
  try {
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(tmp, data)
    renameSync(tmp, path)
  } catch (err) {
    try {
      unlinkSync(tmp)
    } catch {
      // the temp file was never created
    }
    throw new ReportWriteError(path, err)
  }
}

/**
 * Run `fn` while holding `<target>.lock` (the same cross-process lock as the build and model caches:
 * fixtures/lock.ts). A lock whose holder process is gone is taken over, so a crashed run never blocks the next one.
 */
export async function withFileLock<T>(target: string, fn: () => T | Promise<T>, timeoutMs = 30_000): Promise<T> {
  const lockPath = `${target}.lock`
  let lock: FileLock
  try {
    lock = await acquireLock(lockPath, { timeoutMs, pollMs: 20 })
  } catch (err) {
    // cannot create the lock file at all (read-only folder…): say which file, and that nothing was touched
    if ((err as NodeJS.ErrnoException).code) throw new ReportWriteError(lockPath, err)
    throw new Error(`${(err as Error).message} If no fuze-bench run or collect is running, delete it and run \`npx fuze-bench collect\`.`)
  }
  try {
    return await fn()
  } finally {
    await lock.release()
  }
}
