// `fuze-bench clean`: remove old run folders (and on request generated env files and baked
// variants). Dry run unless --yes; the newest N run folders are always kept.
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { getKnobs } from '../../env/index.ts'
import { parseCommandArgs, UsageError, withUsage } from '../lib/args.ts'
import { ENV_ROOT } from '../lib/paths.ts'
import { cleanupVariants } from './variants.ts'

export const help = `Remove old run folders, generated env files and baked variants (dry run unless --yes).

usage: fuze-bench clean [--keep-latest N] [--envs [--prod]] [--variants] [--stamps] [--dir DIR] [--yes]

  --keep-latest N   run folders (LOG_DIR/<YYYYMMDD_HHMMSS-host>…) to keep, newest first (default 5);
                    the newest N are never deleted. Aggregates (benchmarks*.csv) are never touched.
  --envs            also delete generated env files in <dir>/explore and <dir>/preprod
  --prod            with --envs, also delete <dir>/prod files (prod files need this explicit flag)
  --variants        also delete baked Ollama variants (like \`fuze-bench variants cleanup\`)
  --stamps          also forget which env files were benched (LOG_DIR/.stamps), so \`bench\` reruns them
  --dir DIR         folder holding the env tiers (default: the package's env/)
  --yes             really delete; without it, only list what would go`

const RUN_DIR = /^\d{8}_\d{6}-/

/** Every option this command accepts (tests check each is documented in help). */
export const options = {
  'keep-latest': { type: 'string', default: '5' },
  envs: { type: 'boolean', default: false },
  prod: { type: 'boolean', default: false },
  variants: { type: 'boolean', default: false },
  stamps: { type: 'boolean', default: false },
  dir: { type: 'string', default: ENV_ROOT },
  yes: { type: 'boolean', default: false },
} as const

export async function run(args: string[]): Promise<number> {
  return withUsage(async () => {
    const { values: v } = parseCommandArgs('clean', args, options)
    if (!/^\d+$/.test(v['keep-latest'])) throw new UsageError('clean', `--keep-latest '${v['keep-latest']}' is not a whole number ≥ 0`)
    if (v.prod && !v.envs) throw new UsageError('clean', '--prod only makes sense with --envs')
    const keep = Number(v['keep-latest'])
    const knobs = getKnobs()
    const doomed: string[] = []
    const runs = existsSync(knobs.LOG_DIR)
      ? readdirSync(knobs.LOG_DIR, { withFileTypes: true })
          .filter((d) => d.isDirectory() && RUN_DIR.test(d.name))
          .map((d) => d.name)
      : []
    // Names start with YYYYMMDD_HHMMSS, so the name order is the time order.
    runs.sort().reverse()
    doomed.push(...runs.slice(keep).map((d) => join(knobs.LOG_DIR, d)))
    console.log(`${knobs.LOG_DIR}: ${runs.length} run folder(s), keeping the newest ${Math.min(keep, runs.length)}`)
    if (v.stamps && existsSync(join(knobs.LOG_DIR, '.stamps'))) doomed.push(join(knobs.LOG_DIR, '.stamps'))
    if (v.envs) {
      for (const tier of v.prod ? ['explore', 'preprod', 'prod'] : ['explore', 'preprod']) {
        const d = join(v.dir, tier)
        if (existsSync(d))
          doomed.push(
            ...readdirSync(d)
              .filter((f) => f.endsWith('.env'))
              .sort()
              .map((f) => join(d, f)),
          )
      }
    }
    for (const p of doomed) {
      if (v.yes) rmSync(p, { recursive: true, force: true })
      console.log(`${v.yes ? 'deleted' : 'would delete'}  ${p}`)
    }
    if (!v.yes) console.log(`dry run: ${doomed.length} item(s) listed, nothing deleted; add --yes to delete`)
    if (v.variants) return cleanupVariants({ force: false, yes: v.yes })
    return 0
  })
}
