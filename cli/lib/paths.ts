// Where the package's own files live (templates, tier folders), independent of the caller's cwd.
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const ENV_ROOT = join(PROJECT_ROOT, 'env')
export const TEMPLATES_DIR = join(ENV_ROOT, 'templates')
export const TIERS = ['explore', 'preprod', 'prod'] as const
export type Tier = (typeof TIERS)[number]

/** `YYYYMMDD_HHMMSS` in local time, the suite's file-name stamp. */
export function fileStamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}_${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`
}
