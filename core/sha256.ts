// The SHA-256 of a file, streamed: the checksum stamp a cached build (llama-server, Ollama) is verified against.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256')
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')))
  })
}
