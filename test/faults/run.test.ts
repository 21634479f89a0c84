// Faults #10–#13 and #15: the run as a whole. Zero samples fail the run, concurrent runs keep both rows, an
// unwritable results folder is reported without half-written files, bad settings stop the run before any
// server starts, and secrets in the environment reach no file or output.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { execa } from 'execa'
import { freePort } from '../../fixtures/ports.ts'
import { skipUnlessNobodyCanRun } from '../support/as-nobody.ts'
import { waitFor } from '../support/procs.ts'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseCsv } from '../../reporters/csv-text.ts'
import { cleanEnv, onlyRunDir, ROOT, tempResults } from '../support/run-bench.ts'
import { csvLines, FAULTS_CONFIG, finish, records, runFault, scratch, SIM_SHIM, startFault, summary, waitGone } from './support.ts'

const { dir, model } = scratch()

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
}

/** A run whose fixture never got to start its server: the shim records its argv when it runs at all. */
async function runBeforeServer(env: Record<string, string>) {
  const argvFile = join(dir, `argv-${Math.random().toString(36).slice(2)}`)
  const r = await runFault('one-case', { FAULT_MODEL: model, FAULT_ARGV_FILE: argvFile, ...env })
  return { ...r, serverStarted: existsSync(argvFile) }
}

describe.concurrent('run-level faults', () => {
  it('#10 a bench that measured nothing (vitest calls it passed) fails the run with the reason', async () => {
    const r = await runFault('throws', {})
    expect(r.exitCode, r.output).toBe(1)
    expect(r.output).toContain('FAIL throws before any sample: no measured samples (the bench function failed before measuring anything)')
    expect(r.leftovers).toEqual([])
  })

  it('#10 a server that answers nothing usable: zero good samples fail the run', async () => {
    const r = await runFault('one-case', { FAULT_MODEL: model, FAULT_SIM_ARGS: '--fault-status 503 --fault-status-body overloaded' })
    expect(r.exitCode).toBe(1)
    expect(r.output).toMatch(/^FAIL .*fault case: /m)
    expect(summary(r.runDir!).cases[0].summary.counts.ok).toBe(0)
  })

  it('#11 two bench runs finishing together into one results folder: both rows in benchmarks.csv, files valid', async () => {
    const results = tempResults()
    const runs = await Promise.all([0, 1].map(() => startFault('one-case', { FAULT_MODEL: model }, { resultsDir: results })))
    const done = await Promise.all(runs.map((r) => r.child))
    for (const d of done) expect(d.exitCode, d.all).toBe(0)
    for (const r of runs) expect((await finish(r)).leftovers).toEqual([])
    const runDirs = readdirSync(results, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
    expect(runDirs).toHaveLength(2) // one folder each, even when both started in the same second
    for (const d of runDirs) expect(csvLines(join(results, d))).toHaveLength(2)
    const agg = parseCsv(readFileSync(join(results, 'benchmarks.csv'), 'utf8'))
    expect(agg[0][0]).toBe('run_ts')
    const rows = agg.slice(1).filter((row) => row.length > 1)
    expect(rows).toHaveLength(2)
    for (const row of rows) expect(row).toHaveLength(agg[0].length)
    expect(new Set(rows.map((row) => row.at(-1))).size).toBe(2) // each row names its own run's bench.csv
    expect(readdirSync(results).filter((f) => f.endsWith('.lock') || f.endsWith('.tmp'))).toEqual([])
  })

  it('#12 results folder cannot be created (a file is in the way): clear error naming LOG_DIR, exit 2, no server started', async () => {
    const blocker = join(dir, 'results-is-a-file')
    writeFileSync(blocker, 'not a folder\n')
    const r = await runBeforeServer({ LOG_DIR: blocker })
    expect(r.exitCode).toBe(2)
    expect(r.output).toMatch(/fuze-bench: cannot create the run folder in .*results-is-a-file: (ENOTDIR|EEXIST).* point LOG_DIR at a writable folder\./)
    expect(r.serverStarted).toBe(false)
    expect(readFileSync(blocker, 'utf8')).toBe('not a folder\n')
  })

  it('#12 bench.csv and summary.json cannot be written: the run fails saying so, nothing half-written, requests kept', async () => {
    const results = tempResults()
    const id = `20260101_000000-unwritable-${process.pid}`
    // directories where the files should go: writes fail (EISDIR) for root too
    mkdirSync(join(results, id, 'bench.csv'), { recursive: true })
    mkdirSync(join(results, id, 'summary.json'), { recursive: true })
    const run = await startFault('one-case', { FAULT_MODEL: model, FUZE_RUN_ID: id }, { resultsDir: results })
    const r = await finish(run)
    expect(r.exitCode).toBe(1)
    expect(r.output).toMatch(/fuze-bench: Could not write .*bench\.csv: EISDIR/)
    expect(r.output).toContain('make the results folder writable (or point LOG_DIR at one) and run again')
    expect(r.leftovers).toEqual([])
    const runDir = join(results, id)
    expect(statSync(join(runDir, 'bench.csv')).isDirectory()).toBe(true)
    expect(readdirSync(join(runDir, 'bench.csv'))).toEqual([])
    expect(readdirSync(runDir).filter((f) => f.includes('.tmp'))).toEqual([])
    expect(records(runDir).filter((x) => x.phase === 'run')).toHaveLength(3) // the measurements are still on disk
    // the case table still reaches the terminal
    expect(r.output).toMatch(/fault case +[\d.]+ +server/)
  })

  const READ_ONLY_MID_RUN = '#12 results folder turns read-only mid-run (a non-root user): the run fails saying so, no half-written CSV'
  it(READ_ONLY_MID_RUN, async (ctx) => {
    skipUnlessNobodyCanRun(ctx, ROOT, READ_ONLY_MID_RUN)
    // root ignores permissions, so this run is vitest as `nobody`; everything it reads must be world-readable
    const shared = mkdtempSync(join(tmpdir(), 'fuze-fault-nobody-'))
    chmodSync(shared, 0o777)
    const sharedModel = join(shared, 'model.gguf')
    writeFileSync(sharedModel, 'GGUF placeholder\n')
    chmodSync(sharedModel, 0o644)
    const port = await freePort()
    const child = execa(
      'setpriv',
      [
        '--reuid',
        'nobody',
        '--regid',
        'nogroup',
        '--clear-groups',
        process.execPath,
        join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
        'bench',
        '--run',
        '--configLoader',
        'runner',
        '--config',
        FAULTS_CONFIG,
        'one-case',
      ],
      {
        cwd: ROOT,
        env: cleanEnv({
          HOME: shared,
          LOG_DIR: shared,
          CI: 'true',
          NO_COLOR: '1',
          LLAMACPP_BIN: SIM_SHIM,
          BENCH_ALLOW_CLIENT_BOUND: '1',
          FAULT_MODEL: sharedModel,
          PORT_A: String(port),
          BENCH_WARMUP: '0',
          BENCH_REQUESTS: '4',
          FAULT_NUM_PREDICT: '16',
          FAULT_SIM_ARGS: '--itl-ms 40',
        }),
        extendEnv: false,
        all: true,
        reject: false,
      },
    )
    let runDir = ''
    await waitFor(
      () => {
        try {
          runDir = onlyRunDir(shared)
          return records(runDir).length >= 1
        } catch {
          return false
        }
      },
      'the first measured request',
      60_000,
    )
    chmodSync(runDir, 0o555) // like a disk that filled up: nothing more can be created there
    const r = await child
    expect(await waitGone(`--port ${port}`, 10_000)).toEqual([])
    expect(r.exitCode, r.all).toBe(1)
    expect(r.all).toMatch(/fuze-bench: Could not write .*bench\.csv: EACCES/)
    expect(existsSync(join(runDir, 'bench.csv'))).toBe(false)
    expect(readdirSync(runDir).filter((f) => f.includes('.tmp'))).toEqual([])
    expect(records(runDir).length).toBeGreaterThanOrEqual(1) // what was written is whole
    expect(r.all).toMatch(/fault case +[\d.]+ +server/) // the numbers still reach the terminal
    chmodSync(runDir, 0o755)
  })

  it('#13 a bad knob value stops the run before any server starts, naming the variable (exit 2)', async () => {
    const r = await runBeforeServer({ BENCH_REQUESTS: 'lots', TIMEOUT_GEN: '-5' })
    expect(r.exitCode).toBe(2)
    expect(r.output).toMatch(/BENCH_REQUESTS/)
    expect(r.output).toMatch(/TIMEOUT_GEN/)
    expect(r.serverStarted).toBe(false)
  })

  it('#13 a missing env file and a malformed one stop the run before any server starts (exit 2)', async () => {
    const missing = await runBeforeServer({ BENCH_ENV_FILE: join(dir, 'no-such.env') })
    expect(missing.exitCode).toBe(2)
    expect(missing.output).toContain(join(dir, 'no-such.env'))
    expect(missing.output).toContain('file not found')
    expect(missing.serverStarted).toBe(false)
    const bad = join(dir, 'bad.env')
    writeFileSync(bad, 'BENCH_REQUESTS=3\nthis line is not an assignment\nBENCH_WARMUP=minus-one\n')
    const malformed = await runBeforeServer({ BENCH_ENV_FILE: bad })
    expect(malformed.exitCode).toBe(2)
    expect(malformed.output).toContain(bad)
    expect(malformed.output).toContain(`${bad}:2: no \`=\`; expected KEY=VALUE`)
    expect(malformed.serverStarted).toBe(false)
  })

  it('#13 a missing or broken baseline file stops the run before any server starts (exit 2)', async () => {
    const broken = join(dir, 'baseline.json')
    writeFileSync(broken, '{"format": "fuze-bench-baseline/1", "cases": [')
    const r = await runBeforeServer({ BENCH_BASELINE: broken })
    expect(r.exitCode).toBe(2)
    expect(r.output).toContain(`fuze-bench: baseline file ${broken} is not valid JSON`)
    expect(r.serverStarted).toBe(false)
    const gone = await runBeforeServer({ BENCH_BASELINE: join(dir, 'no-baseline.json') })
    expect(gone.exitCode).toBe(2)
    expect(gone.output).toContain('does not exist (BENCH_BASELINE or --baseline)')
    expect(gone.serverStarted).toBe(false)
  })

  it('#15 API keys and tokens in the environment reach no log, CSV, report, env.json or output', async () => {
    const secrets = {
      HF_TOKEN: 'hf_FaultSecretToken0123',
      OPENAI_API_KEY: 'sk-FaultSecretKey4567',
      MY_SERVICE_SECRET: 'FaultServiceSecret89',
      DB_PASSWORD: 'FaultDbPassword42',
    }
    const envFile = join(dir, 'secrets.env')
    // a pass-through variable for the server, from an env file
    writeFileSync(envFile, 'HF_API_TOKEN=FaultEnvFileKey777\n')
    const r = await runFault('one-case', { FAULT_MODEL: model, BENCH_ENV_FILE: envFile, VERBOSE: '1', ...secrets })
    expect(r.exitCode, r.output).toBe(0)
    const values = [...Object.values(secrets), 'FaultEnvFileKey777']
    const results = join(r.runDir!, '..')
    const files = filesUnder(results)
    expect(files.some((f) => f.endsWith('env.json'))).toBe(true)
    expect(files.some((f) => f.endsWith('report.html'))).toBe(true)
    for (const f of files) {
      const text = readFileSync(f, 'utf8')
      for (const v of values) expect(text.includes(v), `${v} in ${f}`).toBe(false)
    }
    for (const v of values) expect(r.output.includes(v), `${v} in the output`).toBe(false)
    const env = JSON.parse(readFileSync(join(r.runDir!, 'env.json'), 'utf8')) as Record<string, string>
    for (const [k, v] of Object.entries(env)) if (/KEY|TOKEN|SECRET|PASSWORD/.test(k)) expect(v, k).toBe('***')
  })
})
