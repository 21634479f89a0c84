// Faults #1–#4 and #14: starting the server. A missing or broken binary, a server that dies or never becomes
// ready, a taken port, hostile model paths — each ends with one clear message, the right exit code, and no process left.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ensureLlamaServer } from '../../fixtures/provision.ts'
import { ROOT } from '../support/run-bench.ts'
import { csvLines, records, runFault, scratch, waitGone } from './support.ts'

const { dir, model } = scratch()

describe.concurrent('starting the server', () => {
  it('#1 LLAMACPP_BIN names a file that does not exist: one message naming the knob, exit 1, nothing started', async () => {
    const r = await runFault('one-case', { FAULT_MODEL: model, LLAMACPP_BIN: join(dir, 'no-such-llama-server') })
    expect(r.exitCode).toBe(1)
    expect(r.output).toContain(`LLAMACPP_BIN='${join(dir, 'no-such-llama-server')}' is not an executable file. Point LLAMACPP_BIN at a llama-server binary`)
    expect(r.leftovers).toEqual([])
    expect(r.runDir ? csvLines(r.runDir) : []).toEqual([])
  })

  it('#1 LLAMACPP_BIN names a file without execute permission: same message, exit 1', async () => {
    const bin = join(dir, 'not-executable')
    writeFileSync(bin, '#!/bin/sh\nexit 0\n')
    chmodSync(bin, 0o644)
    const r = await runFault('one-case', { FAULT_MODEL: model, LLAMACPP_BIN: bin })
    expect(r.exitCode).toBe(1)
    expect(r.output).toContain(`LLAMACPP_BIN='${bin}' is not an executable file.`)
    expect(r.leftovers).toEqual([])
  })

  it('#1 an executable that cannot be started (its interpreter is missing): "could not be started" with the command', async () => {
    const bin = join(dir, 'bad-interpreter')
    writeFileSync(bin, '#!/nonexistent/interpreter\n')
    chmodSync(bin, 0o755)
    const r = await runFault('one-case', { FAULT_MODEL: model, LLAMACPP_BIN: bin })
    expect(r.exitCode).toBe(1)
    expect(r.output).toMatch(/the server could not be started \(ENOENT[^)]*\) before it became ready/)
    expect(r.output).toContain(`command: ${bin} --model`)
    expect(r.output).toContain('set LLAMACPP_BIN/OLLAMA_BIN/... to another binary')
    expect(r.leftovers).toEqual([])
  })

  it('#2 the server exits before it is ready: fails at once (not at the deadline) and shows its last log lines', async () => {
    const t0 = performance.now()
    const r = await runFault('one-case', { FAULT_MODEL: model, FAULT_MODE: 'exit', WAIT_API_SECS: '120' })
    const ms = performance.now() - t0
    expect(r.exitCode).toBe(1)
    expect(r.output).toMatch(/the server exited with code 1 before it became ready at http:\/\/127\.0\.0\.1:\d+\/health/)
    expect(r.output).toContain('--- last 40 log lines ---')
    expect(r.output).toContain("error loading model: tensor 'token_embd.weight' data is not within the file bounds")
    expect(r.output).toContain('main: exiting due to model loading error')
    expect(ms).toBeLessThan(60_000) // far below WAIT_API_SECS=120: the exit is noticed, not waited out
    expect(r.leftovers).toEqual([])
    expect(r.runDir ? records(r.runDir) : []).toEqual([])
  })

  it('#2 the real llama-server given a corrupt model file exits before ready: its own error is shown', async () => {
    const real = await ensureLlamaServer(() => undefined)
    const bad = join(dir, 'corrupt.gguf')
    writeFileSync(bad, Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(60, 0xff)]))
    const r = await runFault('one-case', { FAULT_MODEL: bad, LLAMACPP_BIN: real.path })
    expect(r.exitCode).toBe(1)
    expect(r.output).toMatch(/the server exited with code \d+ before it became ready/)
    expect(r.output).toMatch(/--- last 40 log lines ---\n[\s\S]*(gguf|model)[\s\S]*\n---/i)
    expect(r.leftovers).toEqual([])
  })

  it('#3 readiness never comes: fails at WAIT_API_SECS with the last answer, and the process group is killed', async () => {
    const r = await runFault('one-case', { FAULT_MODEL: model, FAULT_SIM_ARGS: '--ready-delay-ms 600000', WAIT_API_SECS: '2' })
    expect(r.exitCode).toBe(1)
    expect(r.output).toMatch(/was not ready at http:\/\/127\.0\.0\.1:\d+\/health within 2 s \(last answer: .*\)\. Its process group was killed\./)
    expect(r.output).toContain('Raise WAIT_API_SECS')
    expect(r.leftovers).toEqual([])
  })

  it('#4 PORT_A is taken by another program: warns, uses a free port, never talks to that program', async () => {
    let connections = 0
    const squatter: Server = createServer((s) => {
      connections++
      s.destroy()
    })
    await new Promise<void>((resolve) => squatter.listen({ port: 0, host: '127.0.0.1' }, resolve))
    const taken = (squatter.address() as { port: number }).port
    try {
      const r = await runFault('one-case', { FAULT_MODEL: model, PORT_A: String(taken) })
      expect(r.exitCode, r.output).toBe(0)
      const m = /port (\d+) \(PORT_A\) is already taken by another program; using free port (\d+) instead\. Set PORT_A to choose another port\./.exec(r.output)
      expect(m?.[1]).toBe(String(taken))
      const used = m![2]
      expect(csvLines(r.runDir!)[1]).toContain(`127.0.0.1:${used},`)
      expect(connections).toBe(0)
      expect(await waitGone(`--port ${used}`, 10_000)).toEqual([])
    } finally {
      squatter.close()
    }
  })

  it('#14 a model path with spaces, quotes, ; and $() reaches the server as one argument, never through a shell', async () => {
    const hostile = join(dir, `it's a "dir"; $(touch PWNED-dir)`)
    mkdirSync(hostile, { recursive: true })
    const path = join(hostile, 'm $(touch PWNED) `touch PWNED2`; rm -rf x.gguf')
    writeFileSync(path, 'GGUF placeholder\n')
    const argvFile = join(dir, 'argv.bin')
    const r = await runFault('one-case', { FAULT_MODEL: path, FAULT_ARGV_FILE: argvFile })
    expect(r.exitCode, r.output).toBe(0)
    const argv = readFileSync(argvFile, 'utf8').split('\0')
    expect(argv[argv.indexOf('--model') + 1]).toBe(path)
    for (const where of [ROOT, dir, hostile]) expect(readdirSync(where).filter((f) => f.startsWith('PWNED'))).toEqual([])
    // the CSV keeps the name whole: one quoted field with its quotes doubled
    expect(csvLines(r.runDir!)[1]).toContain(`"${path.replace(/"/g, '""')}"`)
    expect(existsSync(path)).toBe(true)
    expect(r.leftovers).toEqual([])
  })
})
