// The shape of one results/benchmarks.csv row (docs/spec.md §3), in a leaf module: the aggregate writes
// these rows, and the best-of files and summaries read them, without importing each other.
export const AGGREGATE_COLUMNS = [
  'run_ts',
  'host',
  'stack',
  'model',
  'baseline_tokps',
  'optimal_variant',
  'optimal_tokps',
  'baseline_endpoint',
  'optimal_endpoint',
  'gpu_label',
  'gpu_name',
  'num_gpu',
  'csv_file',
] as const
export type AggregateRow = Record<(typeof AGGREGATE_COLUMNS)[number], string>
