// --help texts must match what the commands accept: every option documented, nothing documented that isn't accepted.
import { describe, expect, it } from 'vitest'
import { cli } from './cli-helpers.ts'

const COMMANDS = ['bench', 'preflight', 'envs', 'export-gguf', 'clean', 'variants'] as const

describe('--help', () => {
  for (const name of COMMANDS) {
    it(`${name}: documents exactly the options it accepts`, async () => {
      const mod = (await import(`../../cli/commands/${name}.ts`)) as { help: string; options: Record<string, unknown> }
      const prose = mod.help.replace(/`[^`]*`/g, '') // quoted commands (vitest's, other fuze-bench commands) are not this command's options
      const documented = new Set([...prose.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((m) => m[1]))
      documented.delete('help')
      expect([...documented].sort()).toEqual(Object.keys(mod.options).sort())
      expect(mod.help.split('\n')[0]).toMatch(/^[A-Z].*\.$/)
    })
  }

  it('the CLI prints the help text and exits 0', async () => {
    const mod = (await import('../../cli/commands/bench.ts')) as { help: string }
    const r = await cli(['bench', '--help'])
    expect([r.code, r.stdout]).toEqual([0, mod.help])
  })
})
