// Measures the simulator's pacing accuracy: starts `sim/cli.ts` as its own process, drives
// concurrent streams from here, and reports emission error (truth chunkTimes - chunkTargets).
//   npx tsx sim/pacing-check.ts [--streams 32] [--tokens 100] [--itl-ms 5] [--protocol openai]
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { SimTruth } from './types.ts'

const { values } = parseArgs({
  options: { streams: { type: 'string', default: '32' }, tokens: { type: 'string', default: '100' }, 'itl-ms': { type: 'string', default: '5' } },
})
const streams = Number(values.streams)
const tokens = Number(values.tokens)
const itl = values['itl-ms']!

function post(url: string, id: string, body: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body)
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'x-request-id': id } },
      (res) => {
        let out = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (out += c))
        res.on('end', () => resolve(out))
      },
    )
    req.on('error', reject)
    req.end(payload)
  })
}

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url))
const child = spawn(process.execPath, ['--import', 'tsx', cli, '--protocol', 'openai', '--itl-ms', itl, '--ttft-ms', '20', '--max-seqs', String(streams)], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
const [line] = (await once(child.stdout!, 'data')) as [Buffer]
const url = line.toString().trim().slice('sim listening on '.length)
/** Linux only: utime + stime of the simulator process in ms (clock ticks of 10 ms). */
function cpuMs(): number | undefined {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}
const cpuBefore = cpuMs()
const t0 = performance.now()
const ids = Array.from({ length: streams }, (_, i) => `pace-${i}`)
await Promise.all(ids.map((id) => post(`${url}/v1/completions`, id, { prompt: 'x', max_tokens: tokens, stream: true, ignore_eos: true })))
const wall = performance.now() - t0
const errors: number[] = []
for (const id of ids) {
  const truth = JSON.parse(
    await new Promise<string>((resolve) =>
      request(`${url}/_sim/truth/${id}`, (res) => {
        let out = ''
        res.on('data', (c) => (out += c))
        res.on('end', () => resolve(out))
      }).end(),
    ),
  ) as SimTruth
  truth.chunkTimes.forEach((t, i) => errors.push(t - truth.chunkTargets![i]))
}
const cpuAfter = cpuMs()
const cpu = cpuBefore !== undefined && cpuAfter !== undefined ? `; simulator CPU ${cpuAfter - cpuBefore} ms during the load` : ''
child.kill('SIGTERM')
errors.sort((a, b) => a - b)
const q = (p: number) => errors[Math.min(errors.length - 1, Math.floor(p * errors.length))].toFixed(3)
console.log(
  `pacing: ${streams} streams x ${tokens} tokens, itl ${itl} ms, ${errors.length} chunks in ${wall.toFixed(0)} ms; ` +
    `emission error (actual - target) ms: p50 ${q(0.5)}  p90 ${q(0.9)}  p99 ${q(0.99)}  max ${q(1 - 1e-9)}  min ${errors[0].toFixed(3)}${cpu}`,
)
