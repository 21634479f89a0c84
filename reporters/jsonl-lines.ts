// Reads a JSON-lines file one line at a time in fixed-size blocks, so a requests.jsonl of any size (a million
// requests is gigabytes) is never one string in memory. Lines are split on the newline byte, which never occurs
// inside a UTF-8 multi-byte sequence.
import { closeSync, openSync, readSync } from 'node:fs'

const BLOCK = 1 << 20

/** Calls `fn(line, lineNo)` for every non-empty line (1-based numbers); a last line without newline counts too. */
export function forEachLine(path: string, fn: (line: string, lineNo: number) => void): void {
  const fd = openSync(path, 'r')
  try {
    let carry: Buffer = Buffer.alloc(0)
    let lineNo = 0
    const buf = Buffer.allocUnsafe(BLOCK)
    for (;;) {
      const n = readSync(fd, buf, 0, BLOCK, null)
      if (n === 0) break
      const chunk = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n)
      let start = 0
      for (let i = chunk.indexOf(10, start); i !== -1; i = chunk.indexOf(10, start)) {
        lineNo++
        if (i > start) fn(chunk.toString('utf8', start, i), lineNo)
        start = i + 1
      }
      carry = Buffer.from(chunk.subarray(start))
    }
    if (carry.length > 0) fn(carry.toString('utf8'), lineNo + 1)
  } finally {
    closeSync(fd)
  }
}
