// Reads a JSON-lines file one line at a time in fixed-size blocks, so a requests.jsonl of any size (a million
// requests is gigabytes) is never one string in memory. Lines are split on the newline byte, which never occurs
// inside a UTF-8 multi-byte sequence.
import { closeSync, openSync, readSync } from 'node:fs'

const BLOCK = 1 << 20

/**
 * Calls `fn(buf, start, end, lineNo)` for every non-empty line: its bytes are `buf[start, end)`, valid only during
 * the call (1-based numbers; a last line without newline counts too). No string is made unless `fn` makes one.
 */
export function forEachLineBytes(path: string, fn: (buf: Buffer, start: number, end: number, lineNo: number) => void): void {
  const fd = openSync(path, 'r')
  try {
    // one buffer for the whole file: the partial line at the end of a block moves to its front, and the buffer only
    // grows for a line longer than it (no allocation per block)
    let buf = Buffer.allocUnsafe(BLOCK)
    let have = 0
    let lineNo = 0
    for (;;) {
      if (have === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)])
      const n = readSync(fd, buf, have, buf.length - have, null)
      if (n === 0) break
      const filled = have + n
      let start = 0
      for (let i = buf.indexOf(10, have); i !== -1 && i < filled; i = buf.indexOf(10, i + 1)) {
        lineNo++
        if (i > start) fn(buf, start, i, lineNo)
        start = i + 1
      }
      buf.copy(buf, 0, start, filled)
      have = filled - start
    }
    if (have > 0) fn(buf, 0, have, lineNo + 1)
  } finally {
    closeSync(fd)
  }
}

/** Calls `fn(line, lineNo)` for every non-empty line (1-based numbers); a last line without newline counts too. */
export function forEachLine(path: string, fn: (line: string, lineNo: number) => void): void {
  forEachLineBytes(path, (buf, start, end, lineNo) => fn(buf.toString('utf8', start, end), lineNo))
}
