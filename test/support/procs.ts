// Looking for processes the way a user would with `ps`: is anything still running with these arguments?
import { execa } from 'execa'
import { setTimeout as sleep } from 'node:timers/promises'

export async function pidsMatching(needle: string): Promise<number[]> {
  const { stdout } = await execa('ps', ['-eo', 'pid=,args='])
  return stdout
    .split('\n')
    .filter((l) => l.includes(needle) && !l.includes('ps -eo'))
    .map((l) => Number.parseInt(l.trim(), 10))
    .filter((p) => p !== process.pid)
}

/** Poll (bounded) until no process matches; returns what is left at the deadline. */
export async function waitGone(needle: string, deadlineMs = 20_000): Promise<number[]> {
  const t0 = Date.now()
  for (;;) {
    const left = await pidsMatching(needle)
    if (left.length === 0 || Date.now() - t0 > deadlineMs) return left
    await sleep(100)
  }
}

/** Poll (bounded) until check() is true; throws with `what` at the deadline. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, deadlineMs = 60_000): Promise<void> {
  const t0 = Date.now()
  while (!(await check())) {
    if (Date.now() - t0 > deadlineMs) throw new Error(`timed out waiting for ${what}`)
    await sleep(100)
  }
}
