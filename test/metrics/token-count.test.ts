// Server vs client output token counts (issue 24 item 6): a chunk that carried two tokens (llama-server holds a
// token that ends inside a multi-byte character and sends it with the next) makes the client count fewer tokens
// than the server, which the server's count and the per-token ITL account for, so it is counted, not warned about;
// a client that counted more tokens than the server generated is a miscount and warns.
import { describe, expect, it } from 'vitest'
import { summarizeCase } from '../../helpers/metrics/case.ts'
import { toRecord } from '../../helpers/metrics/request.ts'
import type { StreamObservation } from '../../helpers/types.ts'

const ID = { caseName: 'c', fullName: 'c', file: 'f', stack: 'llama.cpp', model: 'm' }

/** A stream of `chunks` one-token chunks 10 ms apart whose server says it generated `server` tokens. */
function rec(chunks: number, server: number) {
  const obs = {
    outcome: 'ok',
    tSend: 0,
    tEnd: 50 + chunks * 10,
    chunkTimes: Array.from({ length: chunks }, (_, i) => 50 + i * 10),
    chunkTokens: Array.from({ length: chunks }, () => 1),
    tokensExplicit: false,
    server: { outputTokens: server },
  } as unknown as StreamObservation
  return toRecord(obs, { id: 'r', caseName: 'c', phase: 'run', caseT0: 0 })
}

describe('token count differences', () => {
  it('fewer chunks than tokens: counted in tokenCountMismatches, spread over the ITL, no warning', () => {
    const s = summarizeCase(ID, [rec(31, 32), rec(32, 32), rec(30, 32)])
    expect(s.tokenCountMismatches).toBe(2)
    expect(s.outputTokensServerTotal).toBe(96)
    expect(s.itlMs.n).toBe(93) // 31 gaps per request: every token after the first has one
    expect(s.warnings).toEqual([])
  })

  it('the client counting more tokens than the server reported warns', () => {
    const s = summarizeCase(ID, [rec(33, 32), rec(32, 32)])
    expect(s.warnings).toEqual([
      "1 request(s) where the client counted more output tokens than the server reported (e.g. server 32, client 33); the server's count is used",
    ])
  })
})
