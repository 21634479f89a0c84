// `fuze-bench compare A B [C…]`: runs and baselines side by side (reporters/compare.ts), and compare.html.
import { dirname, join, resolve } from 'node:path'
import { parseCommandArgs, withUsage } from '../lib/args.ts'
import { alignPeers, compareInputs, loadInput, renderCompareConsole, writeCompareHtml } from '../../reporters/compare.ts'

export const help = `Compare runs and baselines side by side: per case tok/s, TTFT p50/p99, ITL p50, E2E p50, output tok/s, change and the gate's verdict.
usage: fuze-bench compare A B [C…] [--out FILE]
  A, B, …: run folders (results/<run id>), their summary.json, baseline files (baselines/<name>.json), or a peer
  tool's result file (vllm bench serve --save-result JSON, AIPerf profile_export.jsonl, GuideLLM benchmarks JSON,
  inference-perf per_request_lifecycle_metrics.json), read as one case beside the case of ours on the same model.
  The first is the reference: changes are against it and the gate judges every other run with it as the baseline
  (thresholds from BENCH_GATE_*). --out: where compare.html goes (default: in the folder of the last run compared,
  beside its report.html; with baselines only, beside the last baseline file): tok/s per case and
  input, overlaid TTFT/ITL/E2E distributions, the tables. Exit code 0 (compare never fails on a regression;
  BENCH_BASELINE in a bench run or \`fuze-bench analyze\` does), 1 on an unreadable input, 2 on bad usage.`

export async function run(args: string[]): Promise<number> {
  return withUsage(async () => {
    const { values, positionals } = parseCommandArgs('compare', args, { out: { type: 'string' } }, true)
    if (positionals.length < 2) {
      console.error(
        'fuze-bench compare needs at least two inputs: A B [C…] (run folders, summary.json files or baseline files). Run `fuze-bench compare --help`.',
      )
      return 2
    }
    const tags = positionals.map((_, i) => String.fromCharCode(65 + (i % 26)) + (i >= 26 ? String(Math.floor(i / 26)) : ''))
    const inputs = alignPeers(positionals.map((p, i) => loadInput(p, tags[i])))
    for (const x of inputs) for (const w of x.run?.warnings ?? []) console.error(`note: ${x.tag}: ${w}`)
    const cmp = compareInputs(inputs)
    console.log(renderCompareConsole(cmp))
    // the page belongs with the results it compares, like report.html (never an untracked file in the working folder)
    const home = inputs.findLast((x) => x.run)?.run?.dir ?? dirname(resolve(inputs.at(-1)!.path))
    console.log(`\ncomparison page: ${writeCompareHtml(resolve(values.out ?? join(home, 'compare.html')), cmp, inputs)}`)
    return 0
  })
}
