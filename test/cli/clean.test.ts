import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli, tempDir } from './cli-helpers.ts'

function runs(logDir: string, n: number): string[] {
  const names = Array.from({ length: n }, (_, i) => `2025010${i + 1}_120000-host`)
  for (const d of names) mkdirSync(join(logDir, d), { recursive: true })
  writeFileSync(join(logDir, 'benchmarks.csv'), 'x\n')
  return names
}

describe('fuze-bench clean', () => {
  it('is a dry run without --yes and keeps the newest N run folders', async () => {
    const logDir = tempDir('clean')
    const names = runs(logDir, 7)
    const dry = await cli(['clean', '--keep-latest', '5'], { env: { LOG_DIR: logDir } })
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain(`would delete  ${join(logDir, names[1])}`)
    expect(dry.stdout).toContain('dry run: 2 item(s) listed, nothing deleted; add --yes to delete')
    expect(readdirSync(logDir)).toHaveLength(8)
    const real = await cli(['clean', '--keep-latest', '5', '--yes'], { env: { LOG_DIR: logDir } })
    expect(real.code).toBe(0)
    expect(readdirSync(logDir).sort()).toEqual([...names.slice(2), 'benchmarks.csv'])
  })

  it('deletes nothing when there are no more run folders than N (the shell suite deleted all)', async () => {
    const logDir = tempDir('clean')
    runs(logDir, 3)
    await cli(['clean', '--keep-latest', '5', '--yes'], { env: { LOG_DIR: logDir } })
    expect(readdirSync(logDir)).toHaveLength(4)
  })

  it('removes generated env files with --envs, prod ones only with --prod', async () => {
    const logDir = tempDir('clean')
    const dir = tempDir('tiers')
    for (const t of ['explore', 'preprod', 'prod']) {
      mkdirSync(join(dir, t))
      writeFileSync(join(dir, t, 'm.env'), 'X=1\n')
    }
    await cli(['clean', '--envs', '--dir', dir, '--yes'], { env: { LOG_DIR: logDir } })
    expect(['explore', 'preprod', 'prod'].map((t) => existsSync(join(dir, t, 'm.env')))).toEqual([false, false, true])
    await cli(['clean', '--envs', '--prod', '--dir', dir, '--yes'], { env: { LOG_DIR: logDir } })
    expect(existsSync(join(dir, 'prod', 'm.env'))).toBe(false)
    const bad = await cli(['clean', '--keep-latest', 'all'])
    expect([bad.code, bad.stderr]).toEqual([2, "--keep-latest 'all' is not a whole number ≥ 0. Run `fuze-bench clean --help` for the options."])
  })
})
