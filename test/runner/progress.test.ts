import { describe, expect, it } from 'vitest'
import { progressLine } from '../../helpers/progress.ts'
import type { CaseSummary } from '../../helpers/types.ts'

// only the fields the line reads; the rest of a summary is irrelevant to it
const summary = (over: Partial<CaseSummary>): CaseSummary =>
  ({
    stack: 'llama.cpp',
    model: 'small-random',
    fullName: 'small-random on llama.cpp under load > decode [c=4]',
    tokensPerSec: 81.04,
    outputTokenThroughput: 314.2,
    requestThroughput: 3.921,
    ttftMs: { p50: 8.456 },
    counts: { requests: 8, ok: 8 },
    failures: [],
    ...over,
  }) as unknown as CaseSummary

describe('progress line of a finished case', () => {
  it('a load case shows output tok/s and req/s beside the per-request decode tok/s', () => {
    expect(progressLine(summary({ load: {} as CaseSummary['load'] }), 2_534)).toBe(
      '✓ llama.cpp small-random › small-random on llama.cpp under load > decode [c=4] · 81.0 tok/s · out 314.2 tok/s · 3.92 req/s · TTFT p50 8.46 ms · 8/8 ok · 2.5 s',
    )
  })

  it('a sequential case has no throughput columns; a sweep candidate says which one; minutes past 60 s', () => {
    expect(progressLine(summary({ ttftMs: { p50: 1523.4 } as CaseSummary['ttftMs'] }), 125_000, 'candidate 2/7')).toBe(
      '✓ llama.cpp small-random › small-random on llama.cpp under load > decode [c=4] (candidate 2/7) · 81.0 tok/s · TTFT p50 1523.4 ms · 8/8 ok · 2 min 5 s',
    )
  })

  it('says which percentiles a client stall could have moved, where the medians stand (not a failure)', () => {
    const stalled = summary({ clientHealth: { stallMoved: { stats: ['p99'], note: '' } } as CaseSummary['clientHealth'] })
    expect(progressLine(stalled, 2_534)).toBe(
      '✓ llama.cpp small-random › small-random on llama.cpp under load > decode [c=4] · 81.0 tok/s · TTFT p50 8.46 ms · 8/8 ok · 2.5 s · p99 may include a client stall',
    )
  })

  it('marks a case with no successful request ✗ and a flagged one !, followed by the reason', () => {
    const failed = summary({
      counts: { ok: 0, requests: 8 } as CaseSummary['counts'],
      tokensPerSec: 0,
      ttftMs: { p50: Number.NaN } as CaseSummary['ttftMs'],
      failures: [{ code: 'all_failed', message: 'all 8 measured requests failed (connect_error)' }],
    })
    expect(progressLine(failed, 900)).toBe(
      '✗ llama.cpp small-random › small-random on llama.cpp under load > decode [c=4] · 0.0 tok/s · TTFT p50 - ms · 0/8 ok · 0.9 s — all 8 measured requests failed (connect_error)',
    )
    expect(progressLine(summary({ failures: [{ code: 'client_bound', message: 'client-bound: results not trustworthy' }] }), 900)).toMatch(
      /^! .* — client-bound: results not trustworthy$/,
    )
  })
})
