// `fuze-bench bench`: the shell suite's benchmark.sh. Picks env files, then runs `vitest bench`
// once per env file for the chosen stacks (vitest projects), skipping env files already benched.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { execa } from 'execa'
import { FLAGS_ENV, KnobError, loadKnobs, parseEnvText } from '../../env/index.ts'
import { SERVER_STACKS, STACK_NAMES } from '../../fixtures/stacks/index.ts'
import { compileRegex, parseCommandArgs, UsageError, withUsage } from '../lib/args.ts'
import { ENV_ROOT, TEMPLATES_DIR, TIERS, type Tier } from '../lib/paths.ts'
import { run as clean } from './clean.ts'

export const STACKS = STACK_NAMES
const DEFAULT_STACKS = SERVER_STACKS.map((s) => s.name)

export const help = `Run the benchmarks: vitest bench per env file, for the chosen stacks.

usage: fuze-bench bench [--stack S…] [--model RE]… [--env explore|preprod|prod] [--gpu LIST] [--debug]
                        [--clean] [--force] [--dry-run] [--dir DIR] [STACK…] [@file.env…] [-- vitest args]

Each env file runs as its own \`npx vitest bench --run --project <stack>…\` with BENCH_ENV_FILE=<file>
in the child's environment (flags > env file > environment > defaults). All env files are validated
first; one bad value stops everything before any server starts. An env file already benched for a
stack with the same content (sha256, stamp in LOG_DIR/.stamps/<stack>/) is skipped unless --force.

  --stack S        stacks (vitest projects) to run: ${STACKS.join(', ')}; repeatable or a
                   space/comma list ("ollama llama.cpp"); also as plain arguments.
                   Default: ${DEFAULT_STACKS.join(', ')}
  @file.env        env files to run, one after another
  --env TIER       run every env file in <dir>/<TIER>/ (explore, preprod, prod). When explore/ or
                   preprod/ has none, the tier template's settings are used for all models.
  --model RE       keep env files whose name or INCLUDE_MODELS matches RE (repeatable). Without env
                   files it sets INCLUDE_MODELS for the run.
  --gpu LIST       GPUs to use (sets BENCH_GPU: indexes, UUIDs or name substrings)
  --debug          keep bodies of failing requests (sets DEBUG=1)
  --clean          first run \`fuze-bench clean --yes\` (old run folders beyond the newest 5)
  --force          run env files even when their stamp says they were benched
  --dry-run        print the vitest command of each env file, run nothing
  --dir DIR        folder holding the env tiers (default: the package's env/)
  -- ARGS          passed to vitest as they are (e.g. \`-- -t prefill --shard 1/2\`)

Exit status: 0 when every run passed, else the first failing vitest exit code; 1 on invalid
env files, 2 on bad usage.`

interface Unit {
  /** Env file of this run; undefined = the environment alone. */
  file?: string
  label: string
  /** The file is a tier template minus INCLUDE_MODELS (the tier folder had no env files). */
  fromTemplate?: boolean
}

function normalizeStack(raw: string): string {
  const s = raw.toLowerCase() === 'llamacpp' ? 'llama.cpp' : raw.toLowerCase()
  if (!(STACKS as readonly string[]).includes(s)) throw new UsageError('bench', `unknown stack '${raw}' (known: ${STACKS.join(', ')})`)
  return s
}

function includeModelsOf(text: string): string {
  try {
    return parseEnvText(text, '', {}).entries.findLast((e) => e.key === 'INCLUDE_MODELS')?.value ?? ''
  } catch {
    return ''
  }
}

function tierUnits(dir: string, tier: Tier, stampRoot: string): Unit[] {
  const folder = join(dir, tier)
  const files = existsSync(folder)
    ? readdirSync(folder)
        .filter((f) => f.endsWith('.env'))
        .sort()
    : []
  if (files.length) return files.map((f) => ({ file: join(folder, f), label: join(folder, f) }))
  if (tier === 'prod') throw new UsageError('bench', `no env files in ${folder}; promote preprod ones with \`fuze-bench envs promote --all\``)
  // No per-model files yet: the tier's settings apply to every model the stacks discover.
  const template = readFileSync(join(TEMPLATES_DIR, `${tier}.env`), 'utf8')
  const text = template
    .split('\n')
    .filter((l) => !/^\s*(export\s+)?INCLUDE_MODELS\s*=/.test(l))
    .join('\n')
  const file = join(stampRoot, 'templates', `${tier}.env`)
  mkdirSync(join(stampRoot, 'templates'), { recursive: true })
  writeFileSync(file, text)
  return [{ file, label: `${tier} template (no env files in ${folder})`, fromTemplate: true }]
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')
const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)

/** Every option this command accepts (tests check each is documented in help). */
export const options = {
  stack: { type: 'string', multiple: true, default: [] as string[] },
  model: { type: 'string', multiple: true, default: [] as string[] },
  env: { type: 'string' },
  gpu: { type: 'string' },
  debug: { type: 'boolean', default: false },
  clean: { type: 'boolean', default: false },
  force: { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  dir: { type: 'string', default: ENV_ROOT },
} as const

export async function run(args: string[]): Promise<number> {
  return withUsage(async () => {
    const dash = args.indexOf('--')
    const vitestArgs = dash >= 0 ? args.slice(dash + 1) : []
    const own = dash >= 0 ? args.slice(0, dash) : args
    const atFiles = own.filter((a) => a.startsWith('@')).map((a) => resolve(a.slice(1)))
    const { values: v, positionals } = parseCommandArgs(
      'bench',
      own.filter((a) => !a.startsWith('@')),
      options,
      true,
    )
    const named = [...v.stack, ...positionals].flatMap((s) => s.split(/[\s,]+/)).filter(Boolean)
    const stacks = [...new Set(named.length ? named.map(normalizeStack) : DEFAULT_STACKS)]
    const models = v.model.map((m) => compileRegex('bench', '--model', m)!)
    if (v.env !== undefined && !(TIERS as readonly string[]).includes(v.env))
      throw new UsageError('bench', `--env '${v.env}' is not one of ${TIERS.join(', ')}`)
    for (const f of atFiles) if (!existsSync(f)) throw new UsageError('bench', `env file @${f} does not exist`)

    const flags: Record<string, string> = {}
    if (v.gpu !== undefined) flags.BENCH_GPU = v.gpu
    if (v.debug) flags.DEBUG = '1'
    const baseKnobs = loadKnobs({ env: process.env, flags })
    const stampRoot = join(resolve(baseKnobs.LOG_DIR), '.stamps')

    let units: Unit[] = atFiles.map((f) => ({ file: f, label: f }))
    if (v.env) units.push(...tierUnits(v.dir, v.env as Tier, stampRoot))
    const perModelFiles = units.length > 0 && !units.some((u) => u.fromTemplate)
    if (models.length && perModelFiles) {
      units = units.filter((u) => {
        const inc = includeModelsOf(readFileSync(u.file!, 'utf8'))
        return models.some((re) => re.test(basename(u.file!)) || re.test(inc))
      })
      if (units.length === 0) throw new UsageError('bench', `no env file matches --model ${v.model.join(' / ')} by name or INCLUDE_MODELS`)
    } else if (models.length) flags.INCLUDE_MODELS = models.map((m) => `(?:${m.source})`).join('|')
    if (units.length === 0) units.push({ label: 'environment only (no env file)' })

    // Validate everything before running anything: a bad value must stop the run before any server starts.
    const problems: string[] = []
    const logDirs = new Map<Unit, string>()
    for (const u of units) {
      try {
        const k = loadKnobs({ env: process.env, files: u.file ? [u.file] : [], flags })
        logDirs.set(u, resolve(k.LOG_DIR))
      } catch (err) {
        if (!(err instanceof KnobError)) throw err
        problems.push(`${u.label}: ${err.message}`)
      }
    }
    if (problems.length) {
      console.error(problems.join('\n'))
      return 1
    }

    if (v.clean) {
      const code = await clean(v['dry-run'] ? [] : ['--yes'])
      if (code !== 0) return code
    }

    let failed = 0
    let firstCode = 0
    let skipped = 0
    for (const [i, u] of units.entries()) {
      const hash = u.file ? sha256(readFileSync(u.file, 'utf8')) : undefined
      const root = join(logDirs.get(u)!, '.stamps')
      const todo = hash && !v.force ? stacks.filter((s) => !existsSync(join(root, s, hash))) : stacks
      const head = `[${i + 1}/${units.length}] ${u.label}`
      if (todo.length === 0) {
        skipped++
        console.log(`${head}: skipped, already benched for ${stacks.join(', ')} with this content (--force reruns)`)
        continue
      }
      const childEnv: Record<string, string> = {}
      if (u.file) childEnv.BENCH_ENV_FILE = u.file
      if (Object.keys(flags).length) childEnv[FLAGS_ENV] = JSON.stringify(flags)
      const argv = ['vitest', 'bench', '--run', ...todo.flatMap((s) => ['--project', s]), ...vitestArgs]
      const shown = [...Object.entries(childEnv).map(([k, val]) => `${k}=${shellWord(val)}`), 'npx', ...argv.map(shellWord)].join(' ')
      if (v['dry-run']) {
        console.log(`${head}: ${shown}`)
        continue
      }
      console.log(`${head}: ${shown}`)
      const r = await execa('npx', argv, { stdio: 'inherit', reject: false, env: childEnv })
      const code = r.exitCode ?? 1
      if (code !== 0) {
        failed++
        firstCode ||= code
        console.log(`${head}: vitest exited ${code}; not stamped, it reruns next time`)
        continue
      }
      for (const s of hash ? todo : []) {
        mkdirSync(join(root, s), { recursive: true })
        writeFileSync(join(root, s, hash!), `${JSON.stringify({ file: u.file, sha256: hash, finishedAt: new Date().toISOString() })}\n`)
      }
    }
    const ran = units.length - skipped
    console.log(`${v['dry-run'] ? 'dry run: ' : ''}${ran} env file run(s)${v['dry-run'] ? ' shown' : ''}, ${skipped} skipped (stamped), ${failed} failed`)
    return firstCode
  })
}
