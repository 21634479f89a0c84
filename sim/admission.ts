// Sequence slots: up to maxSeqs requests generate at once, up to maxQueue more wait (FIFO) for a
// slot, the rest are rejected (the server answers 503), like vLLM's scheduler/TGI's queue.

export class Admission {
  active = 0
  maxActive = 0
  rejected = 0
  private waiting: Array<{ grant: () => void }> = []

  constructor(
    private maxSeqs: number,
    private maxQueue: number,
  ) {}

  get queued(): number {
    return this.waiting.length
  }

  /**
   * Resolves when a slot is granted; null when the queue is full. `cancel` drops a waiter whose
   * client went away so it never takes a slot.
   */
  acquire(): { granted: Promise<void>; cancel(): void } | null {
    if (this.active < this.maxSeqs) {
      this.take()
      return { granted: Promise.resolve(), cancel: () => {} }
    }
    if (this.waiting.length >= this.maxQueue) {
      this.rejected++
      return null
    }
    let entry!: { grant: () => void }
    const granted = new Promise<void>((resolve) => {
      entry = { grant: resolve }
    })
    this.waiting.push(entry)
    return {
      granted,
      cancel: () => {
        const i = this.waiting.indexOf(entry)
        if (i >= 0) this.waiting.splice(i, 1)
      },
    }
  }

  release(): void {
    this.active--
    const next = this.waiting.shift()
    if (next) {
      this.take()
      next.grant()
    }
  }

  private take(): void {
    this.active++
    if (this.active > this.maxActive) this.maxActive = this.active
  }
}
