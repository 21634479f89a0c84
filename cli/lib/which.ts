// Finds an executable the way a shell would (PATH lookup, or a path as given), without running it.
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, isAbsolute, join, resolve } from 'node:path'

export function which(bin: string, path = process.env.PATH ?? ''): string | undefined {
  const ok = (p: string) => {
    try {
      accessSync(p, constants.X_OK)
      return statSync(p).isFile()
    } catch {
      return false
    }
  }
  if (bin.includes('/')) {
    const p = isAbsolute(bin) ? bin : resolve(bin)
    return ok(p) ? p : undefined
  }
  for (const dir of path.split(delimiter).filter(Boolean)) if (ok(join(dir, bin))) return join(dir, bin)
  return undefined
}
