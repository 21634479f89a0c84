// `fuze-bench merge`: the run folders of one run's shards (BENCH_SHARD=1/n … n/n) → one run folder, with every
// percentile recomputed from the union of their requests; then the usual end of a run (summary.csv, aggregate,
// gate, report.html) on the merged folder.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { parseCommandArgs, UsageError, withUsage } from '../lib/args.ts'
import { loadKnobs } from '../../env/index.ts'
import { finalizeRun } from '../../reporters/finalize.ts'
import { checkShards, MergeRefused, mergeShards, readShard, type ShardRun } from '../../reporters/merge.ts'
import { OUTPUTS, type OutputContext } from '../../reporters/outputs.ts'

export const help = `Merge the run folders of one sharded run (BENCH_SHARD=1/n … n/n) into one run folder.
usage: fuze-bench merge RUN_FOLDER… --out DIR [--results DIR]
  Counts are summed; TTFT/ITL/TPOT/E2E percentiles and throughput come from the union of the shards'
  requests.jsonl (exact, not averaged per shard); each shard's dispatch lag and client verdict are kept.
  Folders that are not shards of one run (other knobs or specs, a shard missing or given twice) are refused.
  DIR must not exist yet (or be empty). The merged run joins the aggregate of --results (default: DIR's parent).
  Exit code: 0 merged and the gate passed, 1 the gate failed, 2 refused or bad arguments.`

export async function run(args: string[]): Promise<number> {
  return withUsage(async () => {
    const { values, positionals } = parseCommandArgs('merge', args, { out: { type: 'string' }, results: { type: 'string' } }, true)
    if (!values.out) throw new UsageError('merge', 'missing --out DIR (where the merged run folder goes)')
    if (positionals.length === 0) throw new UsageError('merge', 'no run folders given: pass the folder of every shard')
    const out = resolve(values.out)
    if (existsSync(out) && readdirSync(out).length > 0) {
      console.error(`fuze-bench merge: ${out} exists and is not empty; pick a new --out folder (nothing was written).`)
      return 2
    }
    let shards: ShardRun[]
    try {
      shards = positionals.map((p) => readShard(resolve(p)))
      // refused before anything is written
      checkShards(shards)
    } catch (err) {
      if (!(err instanceof MergeRefused)) throw err
      console.error(`fuze-bench merge: refused: ${err.message}`)
      return 2
    }
    mkdirSync(join(out, 'logs'), { recursive: true })
    // the merged requests.jsonl is written as the shards' requests stream through the merge, in 1 MB blocks
    const fd = openSync(join(out, 'requests.jsonl'), 'w')
    let block: string[] = []
    let bytes = 0
    const put = () => {
      writeSync(fd, block.join(''))
      block = []
      bytes = 0
    }
    let merged: ReturnType<typeof mergeShards>
    try {
      merged = mergeShards(shards, out, (line) => {
        block.push(line, '\n')
        if ((bytes += line.length + 1) >= 1 << 20) put()
      })
      put()
    } finally {
      closeSync(fd)
    }
    const ctx: OutputContext = { run: merged.run, gate: null, settings: { resultsDir: dirname(out), env: {} }, print: console.log, sections: [] }
    for (const o of OUTPUTS) if (o.when === 'live' && o.label(ctx.settings) !== 'requests.jsonl' && o.enabled(ctx.settings, ctx)) await o.write(ctx)
    writeFileSync(join(out, 'env.json'), `${JSON.stringify(merged.env, null, 2)}\n`)
    const cases = merged.run.summary!.cases
    console.log(
      `fuze-bench merge: ${positionals.length} shard(s) → ${out}: ${cases.length} case(s), ${cases.reduce((a, c) => a + c.summary.counts.requests, 0)} measured request(s)`,
    )
    // the shards' knobs (their env.json) over this shell's: the merged run ends as one run with those settings would
    const env = { ...process.env, ...merged.env }
    const res = await finalizeRun({ runDir: out, resultsDir: resolve(values.results ?? dirname(out)), knobs: loadKnobs({ env }), env })
    return res.failed ? 1 : 0
  })
}
