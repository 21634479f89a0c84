// One request against a server, and the meta of a finished case: the core under CaseRun (case-runner.ts).
// Every record goes to requests.jsonl as soon as it exists (buffered, records-writer.ts), so an interrupted run keeps it.
import { join } from 'node:path'
import { getKnobs, type Knobs } from '../env/index.ts'
import type { ServerRef } from '../fixtures/server.ts'
import type { CaseIdent } from './case-hooks.ts'
import { sendsIgnoreEos } from './load/forcing.ts'
import { CaseAccumulator } from './metrics/accumulator.ts'
import { summarizeCase } from './metrics/case.ts'
import { recordJson, toRecord } from './metrics/request.ts'
import type { ProtocolName } from './protocols/index.ts'
import { prompts } from './prompts.ts'
import { jsonlWriter, type JsonlWriter } from './records-writer.ts'
import { ensureRunDir, isoWithOffset, runDir } from './run-dir.ts'
import type { LoadAcc } from './metrics/load-summary.ts'
import type { CaseMeta, ChatMessage, GenerateRequest, RequestRecord, RowContext, SloSpec } from './types.ts'

export interface CaseOptions {
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
  /**
   * Let the server reuse its prompt cache across requests (default false): each request's prompt then starts with
   * a unique tag, so prefix caches (llama.cpp cache_prompt, vLLM APC, SGLang radix) cannot skip the prefill and
   * TTFT measures real prompt processing.
   */
  cachePrompt?: boolean
}

/** The prompt as sent: unique per request unless the case allows prompt-cache reuse. */
export function promptFor(prompt: string | ChatMessage[], requestId: string, cachePrompt: boolean): string | ChatMessage[] {
  if (cachePrompt) return prompt
  const tag = `[request ${requestId}] `
  if (typeof prompt === 'string') return tag + prompt
  const i = prompt.findIndex((m) => m.role !== 'assistant')
  return prompt.map((m, j) => (j === i ? { ...m, content: tag + m.content } : m))
}

/** Per-request extras of load cases (optional; sequential cases pass none). */
export interface SendExtras {
  /** Cancels the request (case aborted): it ends with outcome 'aborted'. */
  signal?: AbortSignal
  /** Open loops: performance.now() the request is to be written at (GenerateRequest.sendAt). */
  sendAt?: number
  /** Trial number, written into requests.jsonl beside the record. */
  trial?: number
  /** The knobs, read once per case by its runner (reading them per request showed in the product-path profile). */
  knobs?: Knobs
  /** The requests.jsonl writer, found once per case by its runner (runDir() reads the environment per call). */
  writer?: JsonlWriter
  /** More fields for the requests.jsonl line (conversation and turn, capacity probe, prefix group). */
  labels?: Record<string, string | number>
  /** Receives the generated text (asks the client to keep it): multi-turn cases resend it. */
  onText?: (text: string) => void
}

export type { CaseIdent } from './case-hooks.ts'

let seq = 0

/** Send one request and return its record (also appended to requests.jsonl). Never throws for a failed request. */
export async function sendOne(
  server: ServerRef,
  opts: CaseOptions,
  ident: CaseIdent,
  phase: 'warmup' | 'run',
  caseT0: number,
  tDue?: number,
  more: SendExtras = {},
): Promise<RequestRecord> {
  const knobs = more.knobs ?? getKnobs()
  const id = `${process.pid}-${++seq}`
  const client = server.client(opts.protocol)
  const req: GenerateRequest = {
    prompt: promptFor(opts.prompt ?? prompts.short, id, opts.cachePrompt ?? false),
    maxTokens: opts.numPredict ?? knobs.BENCH_NUM_PREDICT,
    temperature: opts.temperature ?? knobs.TEMPERATURE,
    ignoreEos: sendsIgnoreEos(client.protocol, opts.ignoreEos ?? true, server.stack),
    model: server.resolvedModel.wireName,
    extra: opts.extra,
    timeoutMs: knobs.TIMEOUT_GEN * 1000,
    requestId: id,
    ...(more.signal !== undefined ? { signal: more.signal } : {}),
    ...(more.sendAt !== undefined ? { sendAt: more.sendAt } : {}),
    ...(more.onText !== undefined ? { keepText: true } : {}),
  }
  const obs = await client.generate(req)
  const rec = toRecord(obs, { id, caseName: ident.caseName, phase, caseT0, tDue })
  more.onText?.(obs.text ?? '')
  // the same value as JSON.stringify({ file, case, trial?, ...labels, ...rec }), without building that object per request
  const labels = more.labels !== undefined ? JSON.stringify(more.labels).slice(1, -1) : ''
  const head = `${identHead(ident)}${more.trial !== undefined ? `"trial":${more.trial},` : ''}${labels ? `${labels},` : ''}`
  const w = more.writer ?? requestsWriter()
  w.write(`${recordJson(rec, head)}\n`)
  // an unwritable results folder is reported by the reporter; measuring goes on
  if (w.error && !warned && knobs.VERBOSE) {
    warned = true
    console.warn(`could not write requests.jsonl: ${w.error.message}`)
  }
  return rec
}

let warned = false

const HEADS = new WeakMap<CaseIdent, { file: string; fullName: string; head: string }>()

/** `{"file":…,"case":…,` of a case's requests.jsonl lines, made once per case (again if its names change). */
function identHead(ident: CaseIdent): string {
  const c = HEADS.get(ident)
  if (c !== undefined && c.file === ident.file && c.fullName === ident.fullName) return c.head
  const head = `{"file":${JSON.stringify(ident.file)},"case":${JSON.stringify(ident.fullName)},`
  HEADS.set(ident, { file: ident.file, fullName: ident.fullName, head })
  return head
}

/** The run folder's requests.jsonl writer (buffered, asynchronous; records-writer.ts). */
export function requestsWriter(): JsonlWriter {
  // keyed by the folder's name; it is created (or found unwritable) when the first block is written
  return jsonlWriter(runDir(), () => join(ensureRunDir(), 'requests.jsonl'))
}

/** BENCH_SLO_TTFT_MS / _TPOT_MS / _E2E_MS as goodput objectives. */
export function sloFromKnobs(): SloSpec {
  const k = getKnobs()
  return {
    ...(k.BENCH_SLO_TTFT_MS !== undefined ? { ttftMs: k.BENCH_SLO_TTFT_MS } : {}),
    ...(k.BENCH_SLO_TPOT_MS !== undefined ? { tpotMs: k.BENCH_SLO_TPOT_MS } : {}),
    ...(k.BENCH_SLO_E2E_MS !== undefined ? { e2eMs: k.BENCH_SLO_E2E_MS } : {}),
  }
}

/**
 * Summary + CSV context of a finished case, as the reporters receive it. `source`: the case's accumulator (the case
 * runner's, fed as requests finished) or, for a case that measured nothing, an empty list.
 */
export function caseMeta(
  server: ServerRef,
  opts: CaseOptions,
  ident: CaseIdent,
  source: CaseAccumulator | readonly RequestRecord[],
  incomplete = false,
  load?: LoadAcc,
  slo?: SloSpec,
): CaseMeta {
  const knobs = getKnobs()
  const id = { ...ident, stack: server.stack.name, model: server.model }
  const summary =
    source instanceof CaseAccumulator
      ? source.summary(id, { incomplete, ...(load ? { load } : {}) })
      : summarizeCase(id, source, { incomplete, ...(load ? { load } : {}), slo: slo ?? sloFromKnobs() })
  return {
    runDir: ensureRunDir(),
    summary,
    row: server.rowContext({ numPredict: opts.numPredict ?? knobs.BENCH_NUM_PREDICT, ...opts.row }),
    finishedAt: isoWithOffset(),
  }
}
