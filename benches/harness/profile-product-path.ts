// Profile the product path outside vitest: one llmBench load case against the zero-delay simulator.
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx benches/harness/profile-product-path.ts [streams] [requests] [tokens]
// then read the .cpuprofile in Chrome DevTools (or any cpuprofile viewer): self time per function.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { simRef } from '../../test/load/sim-ref.ts'
import { fmtInt, productPathCase, ZERO_DELAY } from './kit.ts'

const [streams = 64, requests = 2048, tokens = 512] = process.argv.slice(2).map(Number)
process.env.FUZE_RUN_DIR = mkdtempSync(join(tmpdir(), 'fuze-profile-'))
const sim = await simRef(ZERO_DELAY)
try {
  const cpu0 = process.cpuUsage()
  const meta = await productPathCase(sim.server, { streams, requests, tokens }, { caseName: 'profile', fullName: 'profile', file: 'profile-product-path.ts' })
  const cpu = process.cpuUsage(cpu0)
  const s = meta.summary
  const rate = (s.outputTokensClientTotal * 1000) / s.wallMs
  const perCpu = s.outputTokensClientTotal / ((cpu.user + cpu.system) / 1e6)
  console.log(
    `${streams} streams: ${fmtInt(rate)} tok/s wall, ${fmtInt(perCpu)} tok per client CPU-s, loop p99 ${s.clientHealth?.loopDelayP99Ms.toFixed(2)} ms, RSS ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MB`,
  )
} finally {
  await sim.close()
}
