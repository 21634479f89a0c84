// `fuze-bench preflight`: what this machine has for benchmarking, as one table.
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, homedir, release, totalmem, type, arch } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { getKnobs, KnobError, type Knobs } from '../../env/index.ts'
import { parseCommandArgs, withUsage } from '../lib/args.ts'
import { leftTable } from '../../reporters/console-table.ts'
import { SERVER_STACKS } from '../../fixtures/stacks/index.ts'
import { which } from '../../fixtures/which.ts'

export const help = `Check this machine: OS, CPU, GPUs, CUDA, stack binaries, ports, model folders, knobs.

usage: fuze-bench preflight [--strict]

Prints one table row per check with a status:
  ok     present and usable
  info   absent but optional (no GPU, no nvcc: CPU benches still run)
  warn   a stack is not available (its binary is not on PATH); the row names the variable to set
  error  something you configured is wrong: an invalid knob, a *_BIN or folder that does not
         exist, a *_URL that does not answer, PORT_A/PORT_B taken, LOG_DIR not writable

  --strict   exit 1 when any row is an error (default: always exit 0 after printing)`

type Status = 'ok' | 'info' | 'warn' | 'error'
type Row = [check: string, status: Status, detail: string]

async function tool(bin: string, args: string[]): Promise<string | undefined> {
  if (!which(bin)) return undefined
  const r = await execa(bin, args, { reject: false, timeout: 10_000 })
  return r.exitCode === 0 ? r.stdout : undefined
}

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const srv = createServer()
    srv.once('error', () => done(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => done(true)))
  })
}

async function answers(url: string, path: string, timeoutMs: number, headers: Record<string, string> = {}): Promise<string | undefined> {
  try {
    const res = await fetch(`${url}${path}`, { headers, signal: AbortSignal.timeout(timeoutMs) })
    return res.ok ? undefined : `answered HTTP ${res.status} to ${path}`
  } catch (err) {
    return ((err as { cause?: Error }).cause?.message ?? (err as Error).message).slice(0, 120)
  }
}

async function gpuRows(): Promise<Row[]> {
  const out = await tool('nvidia-smi', ['--query-gpu=index,name,uuid,memory.total,driver_version', '--format=csv,noheader,nounits'])
  if (out === undefined) return [['GPUs', 'info', 'none found (nvidia-smi not on PATH or failing): benches run on CPU']]
  const gpus = out.split('\n').filter((l) => l.trim())
  if (gpus.length === 0) return [['GPUs', 'info', 'nvidia-smi lists no GPU: benches run on CPU']]
  return gpus.map((l) => {
    const [index, name, uuid, mem, driver] = l.split(',').map((s) => s.trim())
    return [`GPU ${index}`, 'ok', `${name}, ${mem} MiB, ${uuid}, driver ${driver}`] as Row
  })
}

/** One row per stack of the registry: its external server when *_URL is set, else its binary. */
async function stackRows(k: Knobs, timeoutMs: number): Promise<Row[]> {
  const rows: Row[] = []
  const knob = (name: string) => (k as unknown as Record<string, unknown>)[name] as string | undefined
  for (const s of SERVER_STACKS) {
    const url = knob(s.urlKnob)
    if (url) {
      const problem = await answers(url, s.readiness.path, timeoutMs, s.headers?.(k))
      rows.push([`${s.name} server`, problem ? 'error' : 'ok', problem ? `${s.urlKnob}=${url}: ${problem}` : `${s.urlKnob}=${url} answers ${s.readiness.path}`])
      continue
    }
    if (!s.binKnob) {
      rows.push([`${s.name} server`, 'info', `${s.urlKnob} not set (${s.name} benches a running server only)`])
      continue
    }
    const name = knob(s.binKnob) ?? s.preflight?.fallbackBin ?? s.name
    const found = which(name)
    const explicit = process.env[s.binKnob] !== undefined && process.env[s.binKnob] !== ''
    const problem = found ? await s.preflight?.binaryProblem?.(found) : undefined
    if (problem) rows.push([`${s.name} binary`, explicit ? 'error' : 'warn', problem])
    else if (found) rows.push([`${s.name} binary`, 'ok', found])
    else if (s.preflight?.withoutBinary && !explicit) rows.push([`${s.name} binary`, 'ok', s.preflight.withoutBinary])
    else
      rows.push([
        `${s.name} binary`,
        explicit ? 'error' : 'warn',
        `'${name}' not found${explicit ? '' : ' on PATH'}; set ${s.binKnob} to the binary or ${s.urlKnob} to a running server`,
      ])
  }
  return rows
}

function folderRow(label: string, variable: string, path: string | undefined, fallback?: string): Row {
  const p = path ?? fallback
  if (!p) return [label, 'info', `not set (${variable})`]
  if (existsSync(p)) return [label, 'ok', `${p}${path ? '' : ' (default)'}`]
  return [label, path ? 'error' : 'info', `${p} does not exist${path ? `; fix ${variable}` : ` (default; set ${variable})`}`]
}

/** Every option this command accepts (tests check each is documented in help). */
export const options = {
  strict: { type: 'boolean', default: false },
} as const

export async function run(args: string[]): Promise<number> {
  return withUsage(async () => {
    const { values } = parseCommandArgs('preflight', args, options)
    const rows: Row[] = [['OS', 'ok', `${type()} ${release()} ${arch()}, Node ${process.versions.node}`]]
    const cpu = cpus()
    rows.push(['CPU', 'ok', `${cpu[0]?.model.trim() ?? 'unknown'} × ${cpu.length}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM`])
    rows.push(...(await gpuRows()))
    const nvcc = await tool('nvcc', ['--version'])
    rows.push([
      'CUDA (nvcc)',
      nvcc ? 'ok' : 'info',
      nvcc ? (nvcc.match(/release [\d.]+[^\n]*/)?.[0] ?? 'present') : 'nvcc not on PATH (only needed to build llama.cpp with CUDA)',
    ])
    let knobs: Knobs | undefined
    try {
      knobs = getKnobs()
      rows.push(['knobs', 'ok', 'environment and BENCH_ENV_FILE values are valid'])
    } catch (err) {
      if (!(err instanceof KnobError)) throw err
      for (const i of err.issues) rows.push([`knob ${i.key}`, 'error', `${JSON.stringify(i.value)} from ${i.source}: expected ${i.allowed}`])
    }
    if (knobs) {
      const timeoutMs = knobs.TIMEOUT_TAGS * 1000
      rows.push(...(await stackRows(knobs, timeoutMs)))
      for (const [variable, port, required] of [
        ['PERSISTENT_PORT', knobs.PERSISTENT_PORT, false],
        ['PORT_A', knobs.PORT_A, true],
        ['PORT_B', knobs.PORT_B, true],
      ] as const) {
        const free = await portFree(port)
        const detail = free
          ? `${port} free`
          : `${port} taken${variable === 'PERSISTENT_PORT' ? ' (the persistent Ollama daemon, if it is one)' : `; stop what listens there or set ${variable}`}`
        rows.push([`port ${variable}`, free || !required ? 'ok' : 'error', detail])
      }
      rows.push(folderRow('Ollama models', 'OLLAMA_MODELS', knobs.OLLAMA_MODELS, join(homedir(), '.ollama', 'models')))
      rows.push(folderRow('GGUF folder', 'MODEL_DIR', knobs.MODEL_DIR))
      rows.push(folderRow('models.env', 'LLAMACPP_MODELS_ENV', knobs.LLAMACPP_MODELS_ENV))
      try {
        mkdirSync(knobs.LOG_DIR, { recursive: true })
        accessSync(knobs.LOG_DIR, constants.W_OK)
        rows.push(['results', 'ok', `${knobs.LOG_DIR} writable`])
      } catch (err) {
        rows.push(['results', 'error', `${knobs.LOG_DIR} not writable (${(err as Error).message}); set LOG_DIR`])
      }
    }
    console.log(leftTable(['check', 'status', 'detail'], rows))
    const errors = rows.filter((r) => r[1] === 'error').length
    console.log(
      `\n${errors} error(s), ${rows.filter((r) => r[1] === 'warn').length} warning(s)${errors && !values.strict ? ' (exit 0; --strict makes errors fail)' : ''}`,
    )
    return values.strict && errors ? 1 : 0
  })
}
