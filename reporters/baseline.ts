// Baseline files: per case, the gate's summary values plus the per-request samples its significance
// tests need. Plain JSON so it can be committed (baselines/<name>.json) and reviewed in a diff.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { caseMetrics } from './gate.ts'
import { BASELINE_FORMAT, type Baseline, type BaselineCase } from './gate-types.ts'
import type { RunData } from './run-data.ts'
import { writeFileAtomic } from './safe-write.ts'


export function baselineFromRun(run: RunData, name: string): Baseline {
  if (!run.summary || run.summary.cases.length === 0)
    throw new Error(`run ${run.dir} has no cases in summary.json; a baseline needs a finished run with at least one measured case`)
  return {
    format: BASELINE_FORMAT,
    name,
    createdAt: new Date().toISOString(),
    runId: run.runId,
    host: run.summary.host,
    cases: run.summary.cases
      .filter((c) => c.summary.counts.ok > 0)
      .map((c) => {
        const m = caseMetrics(run, c)
        return {
          key: c.fullName, stack: c.stack, model: c.model, variantLabel: c.row.variantLabel, modelTag: c.row.modelTag,
          numGpu: String(c.row.numGpu), gpuLabel: c.row.gpuLabel,
          values: m.values, samples: m.samples, counts: { requests: m.requests, ok: m.ok, failed: m.failed },
        }
      }),
  }
}

export function baselinePath(rootDir: string, name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`baseline name '${name}' may only contain letters, digits, '.', '_' and '-' (it becomes baselines/<name>.json)`)
  return join(rootDir, 'baselines', `${name}.json`)
}

export function writeBaseline(path: string, b: Baseline): void {
  writeFileAtomic(path, `${JSON.stringify(b, null, 1)}\n`)
}

export function readBaseline(path: string): Baseline & { path: string } {
  if (!existsSync(path))
    throw new Error(`baseline file ${path} does not exist (BENCH_BASELINE or --baseline). Create one with \`npx fuze-bench baseline save [run] --name main\`, or unset BENCH_BASELINE.`)
  let b: Baseline
  try {
    b = JSON.parse(readFileSync(path, 'utf8')) as Baseline
  } catch (err) {
    throw new Error(`baseline file ${path} is not valid JSON (${(err as Error).message}); re-create it with \`npx fuze-bench baseline save\``)
  }
  if (b?.format !== BASELINE_FORMAT || !Array.isArray(b.cases))
    throw new Error(`${path} is not a fuze-bench baseline (expected "format": "${BASELINE_FORMAT}"); re-create it with \`npx fuze-bench baseline save\``)
  return { ...b, path }
}
