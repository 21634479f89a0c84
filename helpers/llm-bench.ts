// llmBench(): one bench case = warmup + measured requests through the server's protocol client, with exact
// counts (BENCH_WARMUP / BENCH_REQUESTS), records appended to requests.jsonl as they happen, and the case
// summary attached to task.meta.fuze for the reporters (DESIGN.md "Verified vitest 4.1 bench mechanics").
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { bench, TestRunner, type RunnerTestCase as Test } from 'vitest'
import { getKnobs } from '../env/index.ts'
import type { ServerRef } from '../fixtures/server.ts'
import { summarizeCase } from './metrics/case.ts'
import { toRecord } from './metrics/request.ts'
import type { ProtocolName } from './protocols/index.ts'
import { prompts } from './prompts.ts'
import { ensureRunDir, isoWithOffset } from './run-dir.ts'
import type { CaseMeta, ChatMessage, GenerateRequest, RequestRecord, RowContext } from './types.ts'

export interface LlmBenchOptions {
  /** Prompt text or chat messages (default BENCH_PROMPT). */
  prompt?: string | ChatMessage[]
  /** Tokens to generate (default BENCH_NUM_PREDICT). */
  numPredict?: number
  /** Warmup / measured requests (default BENCH_WARMUP / BENCH_REQUESTS). */
  warmup?: number
  requests?: number
  temperature?: number
  /** Protocol to speak (default: the stack's). */
  protocol?: ProtocolName
  /** Extra protocol body fields (e.g. Ollama options). */
  extra?: Record<string, unknown>
  /** CSV row overrides (variant label, model tag, num_gpu…). */
  row?: Partial<RowContext>
  /** Ask for exactly numPredict tokens (ignore EOS) — default true, so decode lengths are comparable. */
  ignoreEos?: boolean
}

/** The case being measured now, so an interrupted worker can still flush what it has (see flushIncomplete). */
interface ActiveCase {
  name: string
  fullName: string
  file: string
  records: RequestRecord[]
  server: ServerRef
  row: Partial<RowContext>
}
let active: ActiveCase | undefined

export function activeCase(): ActiveCase | undefined {
  return active
}

/** `describe > … > case`, without the file. */
function fullNameOf(task: Test): string {
  const names = [task.name]
  for (let s = task.suite; s && s !== task.file && s.name; s = s.suite) names.unshift(s.name)
  return names.join(' > ')
}

let seq = 0

export function llmBench(name: string, server: ServerRef, opts: LlmBenchOptions = {}): void {
  const knobs = getKnobs()
  const warmup = opts.warmup ?? knobs.BENCH_WARMUP
  const requests = opts.requests ?? knobs.BENCH_REQUESTS
  let phase: 'warmup' | 'run' = 'warmup'
  let records: RequestRecord[] = []
  let caseT0 = 0
  let started = false
  let task: Test | undefined
  let file = ''
  let fullName = name

  const oneRequest = async () => {
    const protocol = opts.protocol
    const client = server.client(protocol)
    const id = `${process.pid}-${++seq}`
    const req: GenerateRequest = {
      prompt: opts.prompt ?? prompts.short,
      maxTokens: opts.numPredict ?? knobs.BENCH_NUM_PREDICT,
      temperature: opts.temperature ?? knobs.TEMPERATURE,
      ignoreEos: opts.ignoreEos ?? true,
      model: server.resolvedModel.wireName,
      extra: opts.extra,
      timeoutMs: knobs.TIMEOUT_GEN * 1000,
      requestId: id,
    }
    const obs = await client.generate(req)
    const rec = toRecord(obs, { id, caseName: name, phase, caseT0 })
    records.push(rec)
    try {
      appendFileSync(join(ensureRunDir(), 'requests.jsonl'), JSON.stringify({ file, case: fullName, ...rec }) + '\n')
    } catch (e) {
      // the reporter reports unwritable result folders; measuring goes on
      if (knobs.VERBOSE) console.warn(`could not append requests.jsonl: ${(e as Error).message}`)
    }
  }

  bench.skipIf(server.skipReason !== undefined)(
    name,
    async () => {
      await oneRequest()
    },
    {
      iterations: requests,
      time: 0,
      warmupIterations: warmup,
      warmupTime: 0,
      setup: (_t, mode) => {
        phase = mode
        if (!started) {
          // first phase of this case (tinybench skips the warmup phase when it has 0 iterations)
          started = true
          records = []
          active = { name, fullName, file, records, server, row: opts.row ?? {} }
        }
        caseT0 = performance.now()
      },
      teardown: (_t, mode) => {
        if (mode !== 'run' || !task) return
        const summary = summarizeCase({ caseName: name, fullName, file, stack: server.stack.name, model: server.model }, records)
        const meta: CaseMeta = {
          runDir: ensureRunDir(),
          summary,
          row: server.rowContext({ numPredict: opts.numPredict ?? knobs.BENCH_NUM_PREDICT, ...opts.row }),
          finishedAt: isoWithOffset(),
        }
        task.meta.fuze = meta
        active = undefined
        started = false
      },
    },
  )
  task = TestRunner.getCurrentSuite().tasks.at(-1) as Test | undefined
  if (task) {
    file = task.file?.name ?? ''
    fullName = fullNameOf(task)
    if (server.skipReason) task.meta.fuzeSkip = server.skipReason
  }
}
