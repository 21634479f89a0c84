// Bounded ground-truth store and request log: Maps keep insertion order, so dropping the first
// key evicts the oldest entry in O(1).
import type { SimRequestLogEntry, SimTruth } from './types.ts'

export const TRUTH_LIMIT = 100_000
export const REQUEST_LOG_LIMIT = 1000

export class TruthStore {
  private map = new Map<string, SimTruth>()
  constructor(private limit = TRUTH_LIMIT) {}

  put(t: SimTruth): void {
    this.map.delete(t.requestId)
    this.map.set(t.requestId, t)
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as string)
  }

  get(id: string): SimTruth | undefined {
    return this.map.get(id)
  }
}

export class RequestLog {
  private entries: SimRequestLogEntry[] = []
  constructor(private limit = REQUEST_LOG_LIMIT) {}

  add(e: SimRequestLogEntry): void {
    this.entries.push(e)
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit)
  }

  list(): SimRequestLogEntry[] {
    return this.entries.slice()
  }
}
