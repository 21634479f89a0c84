// sweep(): one bench task that measures every variant of a server setting (docs/spec.md §4) and reports one CSV row
// per measured variant (task.meta.fuzeVariants). Candidates depend on the running server (AUTO_NG reads
// /api/show), and vitest fixes its tasks at collection, so the whole sweep lives inside one bench function.
//   'num_gpu' (Ollama): options.num_gpu per request (FAST_MODE=1) or baked `…-ng<N>` tags (FAST_MODE=0).
//   'ngl' (llama.cpp):  one fresh llama-server per NGL_CANDIDATES value (--n-gpu-layers).
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { bench, type RunnerTestCase as Test } from 'vitest'
import { aliasOf, getKnobs, type Knobs } from '../env/index.ts'
import type { ServerHandle, ServerRef } from '../fixtures/server.ts'
import type { SweepKind } from '../fixtures/stacks/types.ts'
import type { CaseIdent } from './case-hooks.ts'
import { caseMeta, type CaseOptions } from './case-run.ts'
import { runCase } from './case-runner.ts'
import { failure, type Failure } from './failure.ts'
import { fullNameOf, lastTask } from './llm-bench.ts'
import { printProgress, setProgressNote } from './progress.ts'
import { OllamaApi } from './protocols/ollama-api.ts'
import { ensureRunDir } from './run-dir.ts'
import { autoNgCandidates, SweepStopper } from './sweep-rules.ts'
import type { CaseMeta, RowContext } from './types.ts'

export type { SweepKind } from '../fixtures/stacks/types.ts'

export interface SweepOptions extends CaseOptions {
  /** Candidate values; default from the knobs (AUTO_NG / NG_PERCENT_SET / NUM_GPU_CANDIDATES, or NGL_CANDIDATES). */
  candidates?: number[]
  /** num_gpu: bake each candidate as a `…-ng<N>` tag whatever FAST_MODE says (a spec that must show the baked path). */
  bake?: boolean
  /** Bench name (default `<kind> sweep`). */
  name?: string
}

interface Ctx {
  server: ServerRef
  opts: SweepOptions
  knobs: Knobs
  ident: (variant: string) => CaseIdent
  metas: CaseMeta[]
  log: (s: string) => void
}

/** Failures about the measuring client, not the candidate: they stay failures (BENCH_ALLOW_CLIENT_BOUND accepts them). */
const isClientBound = (f: Failure) => f.code === 'client_bound'

/**
 * A candidate that does not run (too many layers for the GPU, a start that fails) is a result of the sweep, not a
 * failed run. A client-bound verdict is not about the candidate: the figures themselves are suspect, so it stays a failure.
 */
export function asCandidate(meta: CaseMeta, note?: string): CaseMeta {
  const s = meta.summary
  const candidate = s.failures.filter((f) => !isClientBound(f))
  if (candidate.length === 0 && !note) return meta
  const why = [note, ...candidate.map((f) => f.message)].filter(Boolean).map((f) => `sweep candidate ${meta.row.numGpu}: ${f}`)
  return { ...meta, summary: { ...s, failures: s.failures.filter(isClientBound), warnings: [...s.warnings, ...why] } }
}

/** One sweep variant, measured like every other case (case-runner.ts: calibration, verdict, hooks, interrupt flush). */
export async function measureVariant(server: ServerRef, opts: CaseOptions, ident: CaseIdent): Promise<CaseMeta> {
  const meta = await runCase(server, opts, ident, 'sweep-variant')
  return opts.row?.variantLabel === 'optimized' ? asCandidate(meta) : meta
}

async function measure(c: Ctx, server: ServerRef, variant: string, row: Partial<RowContext>, extra?: Partial<CaseOptions>): Promise<CaseMeta> {
  return measureVariant(server, { ...c.opts, ...extra, row: { ...c.opts.row, ...row } }, c.ident(variant))
}

function stopRules(k: Knobs) {
  return { exhaustive: k.EXHAUSTIVE, zeroBreak: k.ZERO_TOKPS_BREAK, noImproveLimit: k.NO_IMPROVE_LIMIT, delta: k.EARLY_STOP_DELTA }
}

async function numGpuCandidates(c: Ctx, api: OllamaApi, model: string): Promise<number[]> {
  if (c.opts.candidates) return c.opts.candidates
  if (!c.knobs.AUTO_NG) return c.knobs.NUM_GPU_CANDIDATES
  const show = await api.show(model)
  if (show.blockCount === undefined) {
    c.log(`/api/show ${model} has no <arch>.block_count; using NUM_GPU_CANDIDATES (set AUTO_NG=0 to silence this)`)
    return c.knobs.NUM_GPU_CANDIDATES
  }
  // the output layer counts too: block_count + 1 offloadable layers
  const candidates = autoNgCandidates(show.blockCount + 1, c.knobs.NG_PERCENT_SET)
  c.log(`num_gpu candidates (AUTO_NG, ${show.blockCount + 1} layers): ${candidates.join(' ')}`)
  return candidates
}

async function bake(api: OllamaApi, name: string, from: string, numGpu: number, timeoutMs: number): Promise<void> {
  await api.create(name, from, { num_gpu: numGpu })
  // create answers before some Ollama versions list the tag: wait (bounded) until /api/tags shows it
  const t0 = Date.now()
  while (!(await api.has(name))) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`created ${name} but /api/tags did not list it within ${timeoutMs / 1000} s (TIMEOUT_TAGS)`)
    await sleep(200)
  }
}

function noteCreated(name: string, status: string): void {
  try {
    appendFileSync(join(ensureRunDir(), 'ollama-created.txt'), `${name}\t${status}\n`)
  } catch {
    // only a convenience for `fuze-bench variants cleanup --from-created`
  }
}

/** The same Ollama server asked for a baked tag. */
function viewOf(server: ServerRef, model: string): ServerRef {
  const h = server as Partial<ServerHandle>
  if (!h.forModel) throw new Error(`FAST_MODE=0 needs the server from useServer() (it benches baked tags through server.forModel()); got another ServerRef`)
  return h.forModel(model)
}

async function sweepNumGpu(c: Ctx): Promise<void> {
  const { server, knobs: k } = c
  const base = server.model
  const common = { baseModel: base }
  c.metas.push(await measure(c, server, 'base-as-is', { ...common, variantLabel: 'base-as-is', numGpu: 'default', modelTag: base }))
  const api = new OllamaApi(server.url, { timeoutMs: k.TIMEOUT_TAGS * 1000 })
  const created = new Map<string, { ok: boolean; deleted: boolean }>()
  const remove = async (name: string) => {
    const v = created.get(name)
    if (!v || v.deleted) return
    try {
      await api.delete(name)
      v.deleted = true
      noteCreated(name, 'deleted')
    } catch (e) {
      c.log(`could not delete ${name}: ${(e as Error).message}`)
    }
  }
  try {
    const candidates = await numGpuCandidates(c, api, base)
    const stopper = new SweepStopper(stopRules(k))
    const results: { n: number; tps: number }[] = []
    const label = server.pin.label
    for (const [i, n] of candidates.entries()) {
      let meta: CaseMeta
      setProgressNote(`candidate ${i + 1}/${candidates.length}`)
      const row = { ...common, variantLabel: 'optimized' as const, numGpu: String(n) }
      if (k.FAST_MODE && !c.opts.bake) {
        meta = await measure(
          c,
          server,
          `num_gpu=${n}`,
          { ...row, modelTag: base },
          {
            extra: { ...c.opts.extra, options: { ...(c.opts.extra?.options as object | undefined), num_gpu: n, num_ctx: k.BENCH_NUM_CTX } },
          },
        )
      } else {
        const name = `${aliasOf(base, k).full}-${label}-ng${n}`
        try {
          await bake(api, name, base, n, k.TIMEOUT_TAGS * 1000)
          created.set(name, { ok: false, deleted: false })
          noteCreated(name, 'created')
          meta = await measure(c, viewOf(server, name), `num_gpu=${n}`, { ...row, modelTag: `${name}:latest` })
        } catch (e) {
          meta = asCandidate(caseMeta(server, c.opts, c.ident(`num_gpu=${n}`), []), `baking ${name} failed: ${(e as Error).message}`)
          meta = { ...meta, row: { ...meta.row, ...row, modelTag: `${name}:latest` } }
          printProgress(meta.summary, 0)
        }
        const ok = meta.summary.tokensPerSec > 0
        const v = created.get(name)
        if (v) v.ok = ok
        if (!ok && !k.KEEP_FAILED_VARIANTS) await remove(name)
      }
      c.metas.push(meta)
      results.push({ n, tps: meta.summary.tokensPerSec })
      if (!stopper.add(meta.summary.tokensPerSec)) {
        c.log(`num_gpu sweep stopped after ${results.length}/${candidates.length} candidates: ${stopper.stopReason}`)
        break
      }
    }
    setProgressNote(undefined)
    if (k.GC_AFTER_RUN) for (const [name, v] of created) if (!v.ok) await remove(name)
    const best = stopper.bestIndex >= 0 ? results[stopper.bestIndex] : undefined
    if (k.PUBLISH_BEST && best) {
      const name = `${aliasOf(base, k).full}-${label}`
      await api.create(name, base, { num_gpu: best.n })
      noteCreated(name, `published num_gpu=${best.n}`)
      c.metas.push(
        await measure(
          c,
          viewOf(server, name),
          `published num_gpu=${best.n}`,
          { ...common, variantLabel: 'published', numGpu: String(best.n), modelTag: `${name}:latest` },
          {
            warmup: Math.max(1, c.opts.warmup ?? k.BENCH_WARMUP),
          },
        ),
      )
    }
  } finally {
    setProgressNote(undefined)
    await api.close()
  }
}

/** The stack's own default (llama.cpp: from the GGUF's block count), logged so the run says where the list came from. */
async function derivedCandidates(c: Ctx): Promise<number[]> {
  const hook = c.server.stack.sweepCandidates
  if (!hook) throw new Error(`${c.server.stack.name} has no default sweep candidates; pass candidates to sweep() or set NGL_CANDIDATES`)
  const { candidates, note } = await hook(c.server.resolvedModel, c.knobs)
  c.log(note)
  return candidates
}

async function sweepNgl(c: Ctx): Promise<void> {
  const { server, knobs: k } = c
  c.metas.push(await measure(c, server, 'base-as-is', { variantLabel: 'base-as-is' }))
  if (server.unit === 'external') {
    c.log(`-ngl sweep needs a server fuze-bench starts; ${server.url} is external, so only base-as-is was measured`)
    return
  }
  const original = server.gpuLayers
  const stopper = new SweepStopper(stopRules(k))
  const candidates = c.opts.candidates ?? k.NGL_CANDIDATES ?? (await derivedCandidates(c))
  try {
    for (const [i, n] of candidates.entries()) {
      let meta: CaseMeta
      setProgressNote(`candidate ${i + 1}/${candidates.length}`)
      try {
        await server.restart({ gpuLayers: n })
        meta = await measure(c, server, `ngl=${n}`, { variantLabel: 'optimized' })
      } catch (e) {
        // the row still says which candidate this was: rowContext reads the settings of the failed start
        meta = asCandidate(caseMeta(server, c.opts, c.ident(`ngl=${n}`), [], true), `server did not start: ${(e as Error).message.split('\n')[0]}`)
        meta = { ...meta, row: { ...meta.row, variantLabel: 'optimized' } }
        printProgress(meta.summary, 0)
      }
      c.metas.push(meta)
      if (!stopper.add(meta.summary.tokensPerSec)) {
        c.log(`-ngl sweep stopped after ${i + 1}/${candidates.length} candidates: ${stopper.stopReason}`)
        break
      }
    }
  } finally {
    setProgressNote(undefined)
    // cases after the sweep run on the server the spec asked for
    await server.restart({ gpuLayers: original })
  }
}

/** One implementation per sweep kind; a stack names its kind with its sweepParam hook. */
const SWEEPS: Record<SweepKind, (c: Ctx) => Promise<void>> = { num_gpu: sweepNumGpu, ngl: sweepNgl }

/** Register a sweep of `kind` on `server`: one bench, one CSV row per measured variant (base-as-is first). */
export function sweep(kind: SweepKind, server: ServerRef, opts: SweepOptions = {}): void {
  const own = server.stack.sweepParam
  if (own !== undefined && own !== kind) {
    throw new Error(`sweep('${kind}') on ${server.stack.name}: ${server.stack.name} sweeps ${own}, not ${kind}; write sweep('${own}', …) in this spec`)
  }
  const name = opts.name ?? `${kind} sweep`
  let task: Test | undefined
  let done = false
  bench.skipIf(server.skipReason !== undefined)(
    name,
    async () => {
      if (done || !task) return
      done = true
      const t = task
      const file = t.file?.name ?? ''
      const full = fullNameOf(t)
      const c: Ctx = {
        server,
        opts,
        knobs: getKnobs(),
        ident: (variant) => ({ caseName: `${name} [${variant}]`, fullName: `${full} [${variant}]`, file }),
        metas: [],
        log: (s) => console.log(`[${server.stack.name} ${server.model}] ${s}`),
      }
      try {
        await (server as Partial<ServerHandle>).ready?.()
        await SWEEPS[kind](c)
      } catch (e) {
        const msg = `${kind} sweep failed: ${(e as Error).message}`
        console.error(`[${server.stack.name} ${server.model}] ${msg}`)
        const last = c.metas.at(-1)
        if (!last) throw e
        // keep what was measured, and fail the run with the reason
        c.metas[c.metas.length - 1] = { ...last, summary: { ...last.summary, failures: [...last.summary.failures, failure('sweep_failed', msg)] } }
      } finally {
        t.meta.fuzeVariants = c.metas
      }
    },
    { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
  )
  task = lastTask()
  if (task && server.skipReason) task.meta.fuzeSkip = server.skipReason
}

/** A spec with nothing to run (no stack, no models): one skipped bench carrying the skip line, never a silent pass. */
export function skipBench(name: string, reason: string): void {
  bench.skip(name, async () => undefined)
  const task = lastTask()
  if (task) task.meta.fuzeSkip = reason
}
