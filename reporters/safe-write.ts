// Writes that never leave a half-written file behind (temp file + rename in the same folder) and a
// cross-process lock for read-modify-write of shared files such as results/benchmarks.csv.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'

export class ReportWriteError extends Error {
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

function holderAlive(lockPath: string): boolean {
  try {
    const pid = Number(readFileSync(lockPath, 'utf8').split('\n')[0])
    if (!Number.isInteger(pid) || pid <= 0) return statSync(lockPath).mtimeMs > Date.now() - 30_000
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to someone else
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Run `fn` while holding `<target>.lock` (O_EXCL create). A lock whose holder process is gone is
 * taken over, so a crashed run never blocks the next one. Gives up after `timeoutMs`.
 */
export async function withFileLock<T>(target: string, fn: () => T | Promise<T>, timeoutMs = 30_000): Promise<T> {
  const lockPath = `${target}.lock`
  const deadline = Date.now() + timeoutMs
  try {
    mkdirSync(dirname(target), { recursive: true })
  } catch (err) {
    throw new ReportWriteError(dirname(target), err)
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx')
      writeFileSync(fd, `${process.pid}\n${new Date().toISOString()}\n`)
      closeSync(fd)
      break
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'EEXIST') throw new ReportWriteError(lockPath, err)
      if (!holderAlive(lockPath)) {
        try {
          unlinkSync(lockPath)
        } catch {
          // another waiter removed it first
        }
        continue
      }
      if (Date.now() > deadline)
        throw new Error(
          `${lockPath} is held by another fuze-bench process (pid ${readFileSync(lockPath, 'utf8').split('\n')[0]}) for more than ${timeoutMs / 1000} s. ` +
            `If no fuze-bench run or collect is running, delete that file and run \`npx fuze-bench collect\`.`,
        )
      await delay(Math.min(5 + attempt * 5, 100))
    }
  }
  try {
    return await fn()
  } finally {
    try {
      unlinkSync(lockPath)
    } catch {
      // lock already gone (folder removed): nothing to release
    }
  }
}
