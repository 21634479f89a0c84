// `fuze-bench envs generate|promote`: per-model env files from the tier templates, and preprod → prod.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { getKnobs, parseEnvText } from '../../env/index.ts'
import { compileRegex, parseCommandArgs, UsageError, withUsage } from '../lib/args.ts'
import { isBakedVariant, listTags, ollamaBase } from '../../fixtures/stacks/ollama-models.ts'
import { ENV_ROOT, TEMPLATES_DIR } from '../lib/paths.ts'

export const help = `Generate per-model env files from the tier templates, or promote preprod files to prod.

usage: fuze-bench envs generate [--mode explore|preprod|both] [--include RE] [--host H:P] [--overwrite] [--dry-run] [--dir DIR]
       fuze-bench envs promote (--all | --model RE) [--overwrite] [--dry-run] [--dir DIR]

generate  asks the Ollama at --host (default: OLLAMA_URL, else 127.0.0.1:PERSISTENT_PORT) for its models
          and writes one file per model to <dir>/<mode>/<ALIAS_PREFIX><tag, / and : → ->.env from
          env/templates/<mode>.env, with __MODEL_TAG__ replaced by the regex-escaped tag. Baked variants
          are skipped; existing files are kept unless --overwrite. --mode defaults to both.
promote   copies <dir>/preprod/*.env (all, or those whose file name or INCLUDE_MODELS matches RE) to
          <dir>/prod/, setting ALIAS_SUFFIX=-prod. A prod file that differs is kept unless --overwrite.

  --dir DIR    the folder holding explore/ preprod/ prod/ (default: the package's env/)
  --dry-run    print what would be written, write nothing`

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function writeOrReport(path: string, content: string, overwrite: boolean, dryRun: boolean): string {
  const exists = existsSync(path)
  const line = (status: string, note = '') => `${status.padEnd(12)} ${path}${note}`
  if (exists && readFileSync(path, 'utf8') === content) return line('unchanged')
  if (exists && !overwrite) return line('kept', '  (exists and differs; --overwrite replaces it)')
  if (dryRun) return line('would write')
  writeFileSync(path, content)
  return line(exists ? 'overwrote' : 'wrote')
}

async function generate(v: { mode?: string; include?: string; host?: string; overwrite: boolean; 'dry-run': boolean; dir: string }): Promise<number> {
  const mode = v.mode ?? 'both'
  if (!['explore', 'preprod', 'both'].includes(mode)) throw new UsageError('envs', `--mode '${mode}' is not one of explore, preprod, both`)
  const modes = mode === 'both' ? ['explore', 'preprod'] : [mode]
  const include = compileRegex('envs', '--include', v.include)
  const knobs = getKnobs()
  const base = ollamaBase(v.host ?? knobs.OLLAMA_URL ?? `127.0.0.1:${knobs.PERSISTENT_PORT}`)
  const tags = await listTags(base, knobs.TIMEOUT_TAGS * 1000)
  const models = tags.filter((t) => !isBakedVariant(t, knobs.ALIAS_PREFIX) && (!include || include.test(t)))
  console.log(`${base}: ${tags.length} models, ${models.length} selected`)
  for (const m of modes) {
    const template = readFileSync(join(TEMPLATES_DIR, `${m}.env`), 'utf8')
    const dest = join(v.dir, m)
    if (!v['dry-run']) mkdirSync(dest, { recursive: true })
    for (const tag of models) {
      const file = join(dest, `${knobs.ALIAS_PREFIX}${tag.replace(/[/:]/g, '-')}.env`)
      console.log(writeOrReport(file, template.replaceAll('__MODEL_TAG__', escapeRegex(tag)), v.overwrite, v['dry-run']))
    }
  }
  return 0
}

function includeOf(text: string): string {
  try {
    return parseEnvText(text, '(promote)', {}).entries.findLast((e) => e.key === 'INCLUDE_MODELS')?.value ?? ''
  } catch {
    return ''
  }
}

function promote(v: { all: boolean; model?: string; overwrite: boolean; 'dry-run': boolean; dir: string }): number {
  const model = compileRegex('envs', '--model', v.model)
  if (v.all === Boolean(model)) throw new UsageError('envs', 'promote needs exactly one of --all or --model RE')
  const src = join(v.dir, 'preprod')
  const dest = join(v.dir, 'prod')
  const files = existsSync(src)
    ? readdirSync(src)
        .filter((f) => f.endsWith('.env'))
        .sort()
    : []
  const chosen = files.filter((f) => !model || model.test(f) || model.test(includeOf(readFileSync(join(src, f), 'utf8'))))
  if (chosen.length === 0) {
    console.error(`envs promote: no env files in ${src}${model ? ` match ${model.source}` : ''}; create them with \`fuze-bench envs generate --mode preprod\`.`)
    return 1
  }
  if (!v['dry-run']) mkdirSync(dest, { recursive: true })
  for (const f of chosen) {
    const text = readFileSync(join(src, f), 'utf8')
    const lines = text.split('\n').filter((l) => !/^\s*(export\s+)?ALIAS_SUFFIX\s*=/.test(l))
    const body = lines.join('\n').replace(/\n*$/, '\n')
    console.log(writeOrReport(join(dest, f), `${body}ALIAS_SUFFIX=-prod\n`, v.overwrite, v['dry-run']))
  }
  return 0
}

/** Every option this command accepts (tests check each is documented in help). */
export const options = {
  mode: { type: 'string' },
  include: { type: 'string' },
  host: { type: 'string' },
  all: { type: 'boolean', default: false },
  model: { type: 'string' },
  overwrite: { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  dir: { type: 'string', default: ENV_ROOT },
} as const

export async function run(args: string[]): Promise<number> {
  return withUsage(async () => {
    const { values, positionals } = parseCommandArgs('envs', args, options, true)
    const [sub, ...extra] = positionals
    if (extra.length) throw new UsageError('envs', `unexpected argument '${extra[0]}'`)
    if (sub === 'generate') return generate(values)
    if (sub === 'promote') return promote(values)
    throw new UsageError('envs', sub ? `unknown subcommand '${sub}' (expected generate or promote)` : 'expected a subcommand: generate or promote')
  })
}
