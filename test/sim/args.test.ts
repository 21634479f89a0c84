import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CONFIG_KEYS, FAULT_KEYS, parseSimArgs, resolveConfig, runSim, SimConfigError } from '../../sim/index.ts'

afterEach(() => vi.restoreAllMocks())

function errorOf(argv: string[]): string {
  try {
    parseSimArgs(argv)
  } catch (err) {
    expect(err).toBeInstanceOf(SimConfigError)
    return (err as Error).message
  }
  throw new Error(`no error for ${argv.join(' ')}`)
}

describe('sim arguments', () => {
  it('maps kebab-case flags onto config keys and faults, with documented defaults', () => {
    const cfg = parseSimArgs([
      '--protocol',
      'llamacpp',
      '--ttft-ms',
      '7.5',
      '--tokens-per-chunk',
      '3',
      '--precompute',
      '--models',
      'a, b',
      '--fault-keep-alive',
      '--fault-status',
      '503',
    ])
    expect(cfg).toMatchObject({
      protocol: 'llamacpp',
      ttftMs: 7.5,
      tokensPerChunk: 3,
      precompute: true,
      models: ['a', 'b'],
      faults: { keepAlive: true, status: 503 },
    })
    expect(resolveConfig({})).toEqual({
      protocol: 'openai',
      host: '127.0.0.1',
      port: 0,
      seed: 1,
      ttftMs: 20,
      perPromptTokenMs: 0.05,
      itlMs: 5,
      itlJitterMs: 0,
      tokensPerChunk: 1,
      concurrencySlowdown: 0,
      maxSeqs: 64,
      maxQueue: 1024,
      precompute: false,
      models: ['sim-model'],
      blockCount: 32,
      readyDelayMs: 0,
      eosAfterTokens: 0,
      faults: {},
    })
  })

  it('explains unknown flags (with a suggestion), bad numbers and bad protocols', () => {
    expect(errorOf(['--protocl', 'openai'])).toMatch(/^fuze-bench sim: Unknown option '--protocl'\. Did you mean --protocol\? Run `fuze-bench sim --help`/)
    expect(errorOf(['--itl-ms', 'fast'])).toBe("--itl-ms expects a number but got 'fast'. Pass e.g. --itl-ms 10.")
    expect(errorOf(['--protocol', 'grpc'])).toMatch(/^sim settings \(flags\): 'protocol': .*"openai"\|"ollama"/)
    expect(errorOf(['--tokens-per-chunk', '0'])).toMatch(/'tokensPerChunk': Too small/)
    expect(errorOf(['--config', '/nonexistent/sim.json'])).toMatch(/^sim config file '\/nonexistent\/sim.json' could not be read/)
  })

  it('rejects unknown keys passed to startSim/resolveConfig by name', () => {
    expect(() => resolveConfig({ itlMS: 1 }, 'startSim config')).toThrow(/^startSim config: unknown key 'itlMS'/)
  })

  it('runSim prints the error and returns 2 without listening', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(await runSim(['--bogus'])).toBe(2)
    expect(err).toHaveBeenCalledOnce()
    expect(String(err.mock.calls[0][0])).toMatch(/Unknown option '--bogus'/)
  })
})

describe('sim/README.md', () => {
  it('documents every setting and fault with its flag', () => {
    const readme = readFileSync(new URL('../../sim/README.md', import.meta.url), 'utf8')
    const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
    for (const k of Object.keys(CONFIG_KEYS)) expect(readme).toContain(`| \`${k}\` | \`--${kebab(k)}\` |`)
    for (const k of Object.keys(FAULT_KEYS)) expect(readme).toContain(`| \`${k}\` | \`--fault-${kebab(k)}\` |`)
  })
})
