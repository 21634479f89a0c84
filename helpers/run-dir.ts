// The run folder every process of one run writes into. vitest.config.ts (main process) fixes FUZE_RUN_ID once;
// forked workers inherit it, so fixtures, llmBench and reporters agree without talking to each other.
import { mkdirSync } from 'node:fs'
import { hostname } from 'node:os'
import { join, resolve } from 'node:path'

function pad(n: number): string {
  return String(n).padStart(2, '0')
}

/** `YYYYMMDD_HHMMSS-<host>` (+ `-shard<i>of<n>` when sharded). */
export function makeRunId(now = new Date(), shard?: string): string {
  const ts = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}_${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '_')
  return `${ts}-${host}${shard ? `-shard${shard.replace('/', 'of')}` : ''}`
}

/** LOG_DIR / BENCH_RESULTS_DIR, default ./results. Read raw here: this runs before knob validation has printed anything. */
export function resultsDir(): string {
  return resolve(process.env.LOG_DIR || process.env.BENCH_RESULTS_DIR || 'results')
}

export function runId(): string {
  process.env.FUZE_RUN_ID ??= makeRunId()
  return process.env.FUZE_RUN_ID
}

export function runDir(): string {
  process.env.FUZE_RUN_DIR ??= join(resultsDir(), runId())
  return process.env.FUZE_RUN_DIR
}

/**
 * Create this run's folder in the main process. Two runs started in the same second would otherwise share one
 * folder (interleaved bench.csv, one summary.json overwriting the other, one aggregate row lost), so the folder
 * is claimed with an exclusive mkdir and a later claimant gets `<id>-2`, `-3`, … A FUZE_RUN_ID set by the user is kept as is.
 */
export function claimRunDir(shard?: { label: string; startAt?: number }): string {
  if (process.env.FUZE_RUN_DIR || process.env.FUZE_RUN_ID) return ensureRunDir()
  // shards of one run share BENCH_START_AT, so their ids differ only by the -shard<i>of<n> suffix (and host)
  const base = shard ? makeRunId(shard.startAt !== undefined ? new Date(shard.startAt) : new Date(), shard.label) : makeRunId()
  mkdirSync(resultsDir(), { recursive: true })
  for (let i = 1; ; i++) {
    const id = i === 1 ? base : `${base}-${i}`
    try {
      mkdirSync(join(resultsDir(), id))
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && i < 1000) continue
      throw e
    }
    process.env.FUZE_RUN_ID = id
    return ensureRunDir()
  }
}

export function ensureRunDir(): string {
  const dir = runDir()
  mkdirSync(join(dir, 'logs'), { recursive: true })
  return dir
}

/** ISO-8601 with the local offset (`2026-11-22T11:38:00+01:00`), as the CSV's ts column wants. */
export function isoWithOffset(d = new Date()): string {
  const off = -d.getTimezoneOffset()
  const sign = off >= 0 ? '+' : '-'
  const abs = Math.abs(off)
  const local = new Date(d.getTime() + off * 60000).toISOString().slice(0, 19)
  return `${local}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}
