// Child process for the concurrency test: merges one run into the shared aggregate, then exits.
import { aggregateRun, identifyRun, mergeAggregate } from '../../reporters/aggregate.ts'
import { loadRun } from '../../reporters/run-data.ts'

const [resultsDir, ...runDirs] = process.argv.slice(2)
for (const dir of runDirs) await mergeAggregate(resultsDir, aggregateRun(identifyRun(loadRun(dir), resultsDir)))
