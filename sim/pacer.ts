// Emission pacing against absolute target times. One pacer serves every stream of a server: a
// min-heap of targets, one coarse setTimeout to ~SPIN_MS before the earliest, then a setImmediate
// spin for the last stretch (setTimeout alone is late by up to ~1 ms). One shared spin keeps CPU
// bounded however many streams are open.
import { performance } from 'node:perf_hooks'

export const SPIN_MS = 1

interface Entry {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
}

export interface PacerHandle {
  cancel(): void
}

export class Pacer {
  private heap: Entry[] = []
  private seq = 0
  private timer: NodeJS.Timeout | undefined
  private timerAt = Infinity
  private spinning = false
  private closed = false

  /** Run fn at performance.now() >= at (ms). */
  at(at: number, fn: () => void): PacerHandle {
    const e: Entry = { at, seq: this.seq++, fn, cancelled: false }
    this.push(e)
    this.arm()
    return { cancel: () => void (e.cancelled = true) }
  }

  /** Promise form; resolves right after the target time passes. */
  until(at: number): Promise<void> {
    if (performance.now() >= at) return Promise.resolve()
    return new Promise((resolve) => this.at(at, resolve))
  }

  close(): void {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.heap = []
  }

  private arm(): void {
    if (this.closed || this.spinning) return
    const top = this.heap[0]
    if (!top) return
    const wait = top.at - performance.now()
    if (wait <= SPIN_MS) {
      if (this.timer) clearTimeout(this.timer)
      this.timer = undefined
      this.timerAt = Infinity
      this.spinning = true
      setImmediate(this.spin)
      return
    }
    const wakeAt = top.at - SPIN_MS
    if (this.timer && this.timerAt <= wakeAt) return
    if (this.timer) clearTimeout(this.timer)
    this.timerAt = wakeAt
    this.timer = setTimeout(this.wake, Math.max(1, Math.floor(wait - SPIN_MS)))
  }

  private wake = (): void => {
    this.timer = undefined
    this.timerAt = Infinity
    this.arm()
  }

  private spin = (): void => {
    this.spinning = false
    if (this.closed) return
    const now = performance.now()
    while (this.heap.length > 0 && this.heap[0].at <= now) {
      const e = this.pop()!
      if (!e.cancelled) e.fn()
    }
    this.arm()
  }

  private push(e: Entry): void {
    const h = this.heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (less(h[p], h[i])) break
      ;[h[p], h[i]] = [h[i], h[p]]
      i = p
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && less(h[l], h[m])) m = l
        if (r < h.length && less(h[r], h[m])) m = r
        if (m === i) break
        ;[h[m], h[i]] = [h[i], h[m]]
        i = m
      }
    }
    return top
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}
