// The llama-server build's progress, with a stand-in toolchain on PATH (git, cmake as small shell scripts that
// print what CMake prints: one "[ NN%]" line per object file) so the test sees a whole build in a second.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ensureLlamaServer } from '../../fixtures/provision.ts'

const saved = {
  FUZE_CACHE_DIR: process.env.FUZE_CACHE_DIR,
  PATH: process.env.PATH,
  LLAMACPP_BIN: process.env.LLAMACPP_BIN,
  FUZE_LLAMA_CUDA: process.env.FUZE_LLAMA_CUDA,
}

function tool(dir: string, name: string, body: string): void {
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`)
  chmodSync(join(dir, name), 0o755)
}

describe('llama-server build progress', () => {
  beforeEach(() => {
    const shims = mkdtempSync(join(tmpdir(), 'fuze-build-shims-'))
    // git clone -q <bundle> <dir>: an empty source tree
    tool(shims, 'git', 'mkdir -p "$4"')
    // cmake -S … -B …: configure prints no percentages; cmake --build <dir>: 100 steps, then the binary
    tool(
      shims,
      'cmake',
      [
        'if [ "$1" = "--build" ]; then',
        '  i=1; while [ $i -le 100 ]; do printf "[%3d%%] Building CXX object obj%d.o\\n" $i $i; i=$((i+1)); done',
        '  mkdir -p "$2/bin"; printf "#!/bin/sh\\necho version: 0\\n" > "$2/bin/llama-server"; chmod +x "$2/bin/llama-server"',
        'fi',
      ].join('\n'),
    )
    process.env.PATH = `${shims}:/usr/bin:/bin`
    process.env.FUZE_CACHE_DIR = mkdtempSync(join(tmpdir(), 'fuze-build-cache-'))
    process.env.FUZE_LLAMA_CUDA = '0'
    delete process.env.LLAMACPP_BIN
    mkdirSync(process.env.FUZE_CACHE_DIR, { recursive: true })
  })
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })

  it('without a terminal: a few plain lines (25/50/75/100%), not one per CMake percent', async () => {
    const lines: string[] = []
    const bin = await ensureLlamaServer((l) => lines.push(l))
    expect(bin.source).toBe('built')
    const progress = lines.filter((l) => l.startsWith('llama-server build ['))
    expect(progress.map((l) => l.replace(/ \(\d+ s\)$/, ''))).toEqual([
      'llama-server build [ 25%]',
      'llama-server build [ 50%]',
      'llama-server build [ 75%]',
      'llama-server build [100%]',
    ])
    expect(lines[0]).toMatch(/^building llama-server \S+ from node-llama-cpp's bundled source/)
    expect(lines.at(-1)).toMatch(/^built llama-server \S+ in \d+ s → /)
  })

  it('on a terminal: every percent rewrites one status line, which is closed before the next log line', async () => {
    const events: string[] = []
    await ensureLlamaServer(
      (l) => events.push(`log ${l.split(' ').slice(0, 2).join(' ')}`),
      (text) => events.push(text === null ? 'end' : `status ${text.replace(/ \(\d+ s\)$/, '')}`),
    )
    const statuses = events.filter((e) => e.startsWith('status '))
    expect(statuses).toHaveLength(100)
    expect(statuses[0]).toBe('status llama-server build [  1%]')
    expect(statuses[99]).toBe('status llama-server build [100%]')
    expect(events.filter((e) => !e.startsWith('status '))).toEqual(['log building llama-server', 'end', 'end', 'end', 'log built llama-server'])
  })
})
