// A bench whose function throws before measuring anything: vitest calls that "passed, 0 samples".
import { bench } from 'vitest'

bench(
  'throws before any sample',
  () => {
    throw new Error('simulated failure inside the bench function')
  },
  { iterations: 3, time: 0, warmupIterations: 0, warmupTime: 0 },
)
