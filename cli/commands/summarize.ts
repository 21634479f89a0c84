// `fuze-bench summarize`: the FuZe summary tables from results/benchmarks.csv.
import { resolve } from 'node:path'
import { resultsDir as defaultResultsDir } from '../../helpers/run-dir.ts'
import { readAggregate } from '../../reporters/aggregate.ts'
import { parseCommandArgs, positiveInt } from '../../reporters/cli-args.ts'
import { writeFileAtomic } from '../../reporters/safe-write.ts'
import { buildSections, filterRows, renderConsole, renderMarkdown } from '../../reporters/summaries.ts'

export const help = `Print the summaries of results/benchmarks.csv (console, optionally markdown).
usage: fuze-bench summarize [--top N] [--stack RE] [--model RE] [--gpu RE] [--host RE] [--md-out FILE] [--results DIR]
  Sections: Top N by tok/s, best optimized per (endpoint, model), base vs optimized (gain), best per
  (stack, model), (stack, model, gpu_label), (host, model), Global best per model, latest run.
  Filters are case-insensitive regexes (--model also matches the alias).`

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs('summarize', args, {
    top: { type: 'string' },
    stack: { type: 'string' },
    model: { type: 'string' },
    gpu: { type: 'string' },
    host: { type: 'string' },
    'md-out': { type: 'string' },
    results: { type: 'string' },
  })
  const resultsDir = resolve(values.results ?? defaultResultsDir())
  const all = readAggregate(resultsDir)
  if (all.length === 0) {
    console.error(`no rows in ${resolve(resultsDir, 'benchmarks.csv')}; run a bench or \`npx fuze-bench collect --all\` first`)
    return 1
  }
  const filter = { top: positiveInt('top', values.top, 10), stack: values.stack, model: values.model, gpu: values.gpu, host: values.host }
  const latest = filterRows(all, filter).sort((a, b) => b.run_ts.localeCompare(a.run_ts))[0]
  const sections = buildSections(all, filter, latest ? { runTs: latest.run_ts, host: latest.host } : undefined)
  console.log(renderConsole(sections))
  if (values['md-out']) {
    const out = resolve(values['md-out'])
    writeFileAtomic(out, `# fuze-bench summary\n\n${renderMarkdown(sections)}`)
    console.log(`\nmarkdown written to ${out}`)
  }
  return 0
}
