// Waiting for an absolute performance.now() target. Timers alone fire up to ~1 ms off; the last stretch is a
// bounded setImmediate hop so a request is never released early, without a busy spin that would steal CPU
// from a server sharing the machine.
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'

export async function waitUntil(target: number, signal?: AbortSignal): Promise<void> {
  const ahead = target - performance.now()
  if (ahead > 1) await sleep(ahead - 1, undefined, signal ? { signal } : undefined).catch(() => undefined)
  while (performance.now() < target && !signal?.aborted) await nextTurn()
}
