// The SHA-256 of a file, streamed in 1 MiB reads: the checksum stamp a cached build (llama-server, Ollama) or a
// generated model is verified against.
import { createHash } from 'node:crypto'
import { createReadStream, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname } from 'node:path'

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/**
 * A cached binary counts only if its checksum matches the stamp written beside it after the build (`<bin>.sha256`)
 * and `runs(bin)` says it works; otherwise its folder is removed (so it is built again) and undefined returned.
 */
export async function verifiedStampedBinary(bin: string, runs: (bin: string) => Promise<boolean>, log: (s: string) => void): Promise<string | undefined> {
  if (!existsSync(bin)) return undefined
  const stamp = `${bin}.sha256`
  const want = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : ''
  if (want === (await sha256File(bin)) && (await runs(bin))) return bin
  log(`cached ${basename(bin)} at ${bin} is corrupt (checksum or --version failed); rebuilding it`)
  rmSync(dirname(bin), { recursive: true, force: true })
  return undefined
}

/** Writes the stamp `verifiedStampedBinary` checks, once the binary is complete. */
export async function stampBinary(bin: string): Promise<void> {
  writeFileSync(`${bin}.sha256`, await sha256File(bin))
}
