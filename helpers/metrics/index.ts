export { dist, median, EMPTY_DIST } from './dist.ts'
export { toRecord, perTokenItl, type RecordContext } from './request.ts'
export { summarizeCase, type CaseIdentity } from './case.ts'
export {
  windowThroughput,
  WindowAcc,
  RateFit,
  rateVerdict,
  poolWindows,
  meetsSlo,
  hasSlo,
  rateCheck,
  tokenTimes,
  RATE_MISS_LIMIT_PCT,
  type RateCheck,
} from './load.ts'
export { summarizeLoad, goodputOf, TrialAcc, type LoadAcc, type LoadInput, type WindowNow } from './load-summary.ts'
export { CaseAccumulator } from './accumulator.ts'
export { QuantileAcc, DDSketch, EXACT_LIMIT, SKETCH_RELATIVE_ACCURACY } from './sketch.ts'
export { ci95, tQuantile975 } from './ci.ts'
