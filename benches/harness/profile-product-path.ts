// Profile the product path outside vitest: one llmBench load case against the zero-delay simulator.
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx benches/harness/profile-product-path.ts [streams] [requests] [tokens]
// then read the .cpuprofile in Chrome DevTools (or any cpuprofile viewer): self time per function.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getKnobs } from '../../env/index.ts'
import { planLevels } from '../../helpers/load/plan.ts'
import { runLoadCase } from '../../helpers/load/run-load.ts'
import { simRef } from '../../test/load/sim-ref.ts'

const [streams = 64, requests = 2048, tokens = 512] = process.argv.slice(2).map(Number)
process.env.FUZE_RUN_DIR = mkdtempSync(join(tmpdir(), 'fuze-profile-'))
const sim = await simRef({ precompute: true, ttftMs: 0, perPromptTokenMs: 0, itlMs: 0, itlJitterMs: 0, maxSeqs: 1024, maxQueue: 4096 })
try {
  const opts = { concurrency: streams, requests, warmup: 0, numPredict: tokens }
  const level = planLevels(opts, getKnobs())![0]
  const cpu0 = process.cpuUsage()
  const meta = await runLoadCase(sim.server, opts, level, { caseName: 'profile', fullName: 'profile', file: 'profile-product-path.ts' })
  const cpu = process.cpuUsage(cpu0)
  const s = meta.summary
  const rate = (s.outputTokensClientTotal * 1000) / s.wallMs
  const perCpu = s.outputTokensClientTotal / ((cpu.user + cpu.system) / 1e6)
  console.log(
    `${streams} streams: ${Math.round(rate).toLocaleString('en-US')} tok/s wall, ${Math.round(perCpu).toLocaleString('en-US')} tok per client CPU-s, loop p99 ${s.clientHealth?.loopDelayP99Ms.toFixed(2)} ms, RSS ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MB`,
  )
} finally {
  await sim.close()
}
