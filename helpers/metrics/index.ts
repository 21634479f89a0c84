export { dist, median, EMPTY_DIST } from './dist.ts'
export { toRecord, perTokenItl, type RecordContext } from './request.ts'
export { summarizeCase, type CaseIdentity } from './case.ts'
