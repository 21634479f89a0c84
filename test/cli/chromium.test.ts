import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { findChromium } from '../../cli/lib/chromium.ts'

describe("findChromium (the report tests' browser)", () => {
  it('takes CHROMIUM_PATH as given and says what to do when it does not exist', () => {
    expect(() => findChromium({ CHROMIUM_PATH: '/nonexistent/chrome', PATH: '' })).toThrow(
      'CHROMIUM_PATH=/nonexistent/chrome does not exist. Point it at a Chromium or Chrome binary, or unset it to use chromium from PATH.',
    )
    const dir = mkdtempSync(join(tmpdir(), 'fuze-chromium-'))
    const given = join(dir, 'my-chrome')
    writeFileSync(given, '')
    expect(findChromium({ CHROMIUM_PATH: given, PATH: '' })).toBe(given)
  })

  it('finds chromium-browser on PATH when there is no chromium, and nothing on an empty PATH', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuze-chromium-'))
    expect(findChromium({ PATH: dir })).toBeUndefined()
    const bin = join(dir, 'chromium-browser')
    writeFileSync(bin, '#!/bin/sh\n')
    chmodSync(bin, 0o755)
    expect(findChromium({ PATH: dir })).toBe(bin)
  })
})
