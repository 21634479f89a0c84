// vitest's bench console reporter without its closing "BENCH Summary": that summary ranks every bench of a describe
// block by its mean iteration time and prints "decode [c=4] 13.61x faster than poisson [rate=1/s]", comparing cases
// that measure different things (a load case is one iteration of its whole phase). The run's own table and
// progress lines (FuzeReporter) say what was measured; vitest's per-file tables stay.
import { BenchmarkReporter } from 'vitest/reporters'

export class BenchConsoleReporter extends BenchmarkReporter {
  override reportBenchmarkSummary(): void {}
}
