// requests.jsonl, written off the hot path: finished requests are appended to an in-memory buffer and written
// asynchronously in large blocks (when 256 KB are pending, else every 100 ms), never one synchronous write per
// request. Nothing measured is lost: the case runner awaits flush() at every case end, and flushSync() runs on
// interrupt (signals, vitest gone — fixtures/process.ts onInterrupt) and at process exit.
//
// Writes are positional (pwrite at offsets this writer owns, file opened without O_APPEND) so a synchronous flush
// can rewrite a block whose asynchronous write may or may not have reached the file: the same bytes land at the
// same offset either way — no line is lost or doubled. One writer per file per process; bench mode runs one
// worker at a time, so no other process appends meanwhile.
import { closeSync, constants, fstatSync, openSync, write, writeSync } from 'node:fs'
import { onInterrupt } from '../fixtures/process.ts'

/** Pending bytes that trigger a write at once. */
const HIGH_WATER = 256 * 1024
/** Size of the buffer lines are encoded into (a line that could not fit gets a block of its own size). */
const BLOCK = HIGH_WATER + 64 * 1024
/** Longest a finished request waits in memory before it is on disk (the interrupt tests read the file mid-run). */
const FLUSH_MS = 100

interface Block {
  buf: Buffer
  pos: number
  lines: number
}

interface Segment {
  buf: Buffer
  lines: number
}

export class JsonlWriter {
  private fd: number | null = null
  private pos = 0
  // Lines are encoded into bytes as they come, not kept as strings until the block is written: a string held
  // ~40 ms (a 256 KB block at 9,000 requests/s) outlived the young generation's collections and was promoted, and
  // that garbage set how high the heap rose between full collections.
  private cur: Buffer = Buffer.alloc(0)
  private curLen = 0
  private curLines = 0
  /** Filled segments not yet given a file offset, oldest first. */
  private full: Segment[] = []
  private inflight: Block | null = null
  private timer: NodeJS.Timeout | null = null
  private waiters: (() => void)[] = []
  /** Lines that could not be written (unwritable folder, full disk): the first error says why. */
  dropped = 0
  error: Error | undefined

  /** `open`: where the file is (called once, lazily: the run folder may not exist before the first request). */
  constructor(private readonly open: () => string) {}

  write(line: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit
    const most = line.length * 3
    if (this.curLen + most > this.cur.length) this.seal(most)
    this.curLen += this.cur.write(line, this.curLen, 'utf8')
    this.curLines++
    if (this.curLen >= HIGH_WATER) this.kick()
    else this.timer ??= setTimeout(() => this.kick(), FLUSH_MS).unref()
  }

  private get pending(): boolean {
    return this.curLen > 0 || this.full.length > 0
  }

  /** The lines so far become a segment; the next ones go into a new buffer with room for at least `room` bytes. */
  private seal(room = 0): void {
    if (this.curLen > 0) this.full.push({ buf: this.cur.subarray(0, this.curLen), lines: this.curLines })
    this.cur = Buffer.allocUnsafe(Math.max(BLOCK, room))
    this.curLen = 0
    this.curLines = 0
  }

  private ensureOpen(): boolean {
    if (this.fd !== null) return true
    if (this.error) return false
    try {
      const path = this.open()
      this.fd = openSync(path, constants.O_WRONLY | constants.O_CREAT, 0o644)
      this.pos = fstatSync(this.fd).size
      return true
    } catch (e) {
      this.error = e as Error
      return false
    }
  }

  /** The oldest pending lines as one block at the next offset (null when nothing is pending or the file is unusable). */
  private take(): Block | null {
    if (this.full.length === 0) {
      if (this.curLen === 0) return null
      this.seal()
    }
    if (!this.ensureOpen()) {
      for (const seg of this.full) this.dropped += seg.lines
      this.full = []
      return null
    }
    const seg = this.full.shift()!
    const block = { buf: seg.buf, pos: this.pos, lines: seg.lines }
    this.pos += seg.buf.length
    return block
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (this.inflight) return
    const block = this.take()
    if (!block) return this.settle()
    this.inflight = block
    this.writeFrom(block, 0)
  }

  private writeFrom(block: Block, done: number): void {
    write(this.fd!, block.buf, done, block.buf.length - done, block.pos + done, (err, n) => {
      // a synchronous flush took this block over: it rewrote the same bytes at the same place
      if (this.inflight !== block) return
      if (err) {
        this.error ??= err
        this.dropped += block.lines
      } else if (done + n < block.buf.length) return this.writeFrom(block, done + n)
      this.inflight = null
      if (this.pending) this.kick()
      else this.settle()
    })
  }

  private settle(): void {
    if (this.inflight || this.pending) return
    const ws = this.waiters
    this.waiters = []
    for (const w of ws) w()
  }

  /** Resolves once every line written so far is in the file (or counted as dropped). */
  flush(): Promise<void> {
    if (!this.inflight && !this.pending) return Promise.resolve()
    const p = new Promise<void>((r) => this.waiters.push(r))
    this.kick()
    return p
  }

  /** Everything to the file now, synchronously (interrupt, exit). */
  flushSync(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const blocks: Block[] = this.inflight ? [this.inflight] : []
    this.inflight = null
    for (let b = this.take(); b !== null; b = this.take()) blocks.push(b)
    for (const b of blocks) {
      try {
        for (let done = 0; done < b.buf.length; ) done += writeSync(this.fd!, b.buf, done, b.buf.length - done, b.pos + done)
      } catch (e) {
        this.error ??= e as Error
        this.dropped += b.lines
      }
    }
    this.settle()
  }

  close(): void {
    this.flushSync()
    if (this.fd !== null) closeSync(this.fd)
    this.fd = null
  }
}

const writers = new Map<string, JsonlWriter>()

/** The writer of one file (keyed by `key`, e.g. the run folder), created on first use. */
export function jsonlWriter(key: string, open: () => string): JsonlWriter {
  let w = writers.get(key)
  if (!w) writers.set(key, (w = new JsonlWriter(open)))
  return w
}

/** Every writer's lines to disk, synchronously. */
export function flushAllSync(): void {
  for (const w of writers.values()) w.flushSync()
}

/** Every writer's lines to disk. */
export async function flushAll(): Promise<void> {
  await Promise.all([...writers.values()].map((w) => w.flush()))
}

// measured requests outlive the worker: at exit, and first thing when it is torn down
process.on('exit', flushAllSync)
onInterrupt(flushAllSync)
