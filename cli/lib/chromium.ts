// Headless Chromium for the report tests and screenshots: found, or installed from Debian's archive the way
// .ci/run used to (only `npm test` asks for it; benchmarks never need a browser).
import { existsSync } from 'node:fs'
import { execa } from 'execa'
import { which } from '../../fixtures/which.ts'

/** Names a Chromium binary goes by on Debian, Ubuntu and Chrome installs, tried on PATH in this order. */
const NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']

export class ChromiumError extends Error {}

/** CHROMIUM_PATH when set (it must exist), else the first of NAMES on PATH; undefined when there is none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = env.CHROMIUM_PATH?.trim()
  if (given) {
    if (!existsSync(given))
      throw new ChromiumError(`CHROMIUM_PATH=${given} does not exist. Point it at a Chromium or Chrome binary, or unset it to use chromium from PATH.`)
    return given
  }
  for (const name of NAMES) {
    const hit = which(name, env.PATH ?? '')
    if (hit) return hit
  }
  return undefined
}

const HOW =
  'Install it yourself (Debian/Ubuntu: `sudo apt-get install chromium`; Fedora: `sudo dnf install chromium`) or set CHROMIUM_PATH to a Chromium/Chrome binary, then run npm test again.'

/**
 * Finds Chromium, or installs Debian's `chromium` package when this process may (root, apt-get on PATH, the
 * archive reachable). apt's own lock is waited for, so two concurrent `npm test`s install it once.
 */
export async function ensureChromium(log: (line: string) => void): Promise<string> {
  const found = findChromium()
  if (found) return found
  const canApt = process.getuid?.() === 0 && which('apt-get') !== undefined
  if (!canApt) {
    throw new ChromiumError(
      `headless Chromium is needed by the report tests (test/reporters/html.test.ts opens report.html in it) and none was found (CHROMIUM_PATH, ${NAMES.join(', ')} on PATH); npm test installs Debian's chromium only when it runs as root with apt-get. ${HOW}`,
    )
  }
  log("chromium not found: installing Debian's chromium package with apt-get (once, ~300 MB) for the report tests")
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const lockWait = ['-o', 'DPkg::Lock::Timeout=600']
  const steps: string[][] = [
    ['update', '-qq', ...lockWait],
    ['install', '-y', '-qq', '--no-install-recommends', ...lockWait, 'chromium'],
  ]
  for (const args of steps) {
    const r = await execa('apt-get', args, { env, reject: false, all: true, timeout: 900_000 })
    if (r.exitCode !== 0) {
      const tail = (r.all ?? '').trim().split('\n').slice(-5).join('\n')
      throw new ChromiumError(`apt-get ${args[0]} failed (exit ${r.exitCode ?? r.signal}) while installing chromium for the report tests:\n${tail}\n${HOW}`)
    }
  }
  const installed = findChromium()
  if (!installed) throw new ChromiumError(`apt-get installed chromium but no chromium binary is on PATH afterwards. ${HOW}`)
  return installed
}
