// `fuze-bench variants cleanup`: list, then delete, Ollama tags baked by FAST_MODE=0 sweeps.
import { readFileSync } from 'node:fs'
import { getKnobs } from '../../env/index.ts'
import { compileRegex, parseCommandArgs, UsageError, withUsage } from '../lib/args.ts'
import { OllamaApi } from '../../helpers/protocols/ollama-api.ts'
import { isBakedVariant, listTags, ollamaBase } from '../../fixtures/stacks/ollama-models.ts'

export const help = `Delete baked Ollama variants (tags created by FAST_MODE=0 sweeps).

usage: fuze-bench variants cleanup [--match RE] [--keep RE] [--from-created FILE] [--host H:P] [--force] [--yes]

Lists the variants of the Ollama at --host (default: OLLAMA_URL, else 127.0.0.1:PERSISTENT_PORT) and
deletes them only with --yes; without it, nothing is deleted (dry run).

  --match RE            select tags matching RE (default: baked variant names,
                        <ALIAS_PREFIX>…-ng<N>)
  --keep RE             never delete tags matching RE
  --from-created FILE   select only tags listed in FILE (one per line, e.g. a run's created list)
  --host H:P            Ollama to talk to
  --force               allow deleting selected tags that do not look like baked variants
                        (base models); without it they are listed and refused
  --yes                 really delete

Exit status: 0 when everything selected was deleted (or listed), 1 when a deletion failed or
Ollama could not be reached, 2 on bad usage.`

export interface CleanupOptions {
  host?: string
  match?: RegExp
  keep?: RegExp
  fromCreated?: string[]
  force: boolean
  yes: boolean
}

/** Shared with `fuze-bench clean --variants`. Returns the exit code. */
export async function cleanupVariants(opts: CleanupOptions, log: (line: string) => void = console.log): Promise<number> {
  const knobs = getKnobs()
  const base = ollamaBase(opts.host ?? knobs.OLLAMA_URL ?? `127.0.0.1:${knobs.PERSISTENT_PORT}`)
  const timeoutMs = knobs.TIMEOUT_TAGS * 1000
  const names = await listTags(base, timeoutMs)
  const created = opts.fromCreated && new Set(opts.fromCreated.flatMap((n) => [n, n.replace(/:latest$/, ''), `${n}:latest`]))
  const selected = names.filter((n) => {
    if (created && !created.has(n)) return false
    if (opts.match ? !opts.match.test(n) : !created && !isBakedVariant(n, knobs.ALIAS_PREFIX)) return false
    return !opts.keep?.test(n)
  })
  const refused = opts.force ? [] : selected.filter((n) => !isBakedVariant(n, knobs.ALIAS_PREFIX))
  const targets = selected.filter((n) => !refused.includes(n))
  log(`${base}: ${names.length} tags, ${targets.length} variant(s) selected${opts.yes ? '' : ' (dry run: add --yes to delete)'}`)
  for (const n of refused) log(`  refused  ${n}  (not a baked variant name; add --force to delete it)`)
  let failed = 0
  const api = new OllamaApi(base, { timeoutMs })
  try {
    for (const n of targets) {
      if (!opts.yes) {
        log(`  would delete  ${n}`)
        continue
      }
      try {
        await api.delete(n)
        log(`  deleted  ${n}`)
      } catch (err) {
        failed++
        log(`  FAILED   ${n}  (${(err as Error).message})`)
      }
    }
  } finally {
    await api.close()
  }
  return failed ? 1 : 0
}

/** Every option this command accepts (tests check each is documented in help). */
export const options = {
  match: { type: 'string' },
  keep: { type: 'string' },
  'from-created': { type: 'string' },
  host: { type: 'string' },
  force: { type: 'boolean', default: false },
  yes: { type: 'boolean', default: false },
} as const

export async function run(args: string[]): Promise<number> {
  return withUsage(async () => {
    const { values, positionals } = parseCommandArgs('variants', args, options, true)
    if (positionals[0] !== 'cleanup' || positionals.length > 1)
      throw new UsageError('variants', `expected the subcommand 'cleanup'${positionals.length ? `, got '${positionals.join(' ')}'` : ''}`)
    let fromCreated: string[] | undefined
    if (values['from-created']) {
      try {
        fromCreated = readFileSync(values['from-created'], 'utf8')
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter((l) => l && !l.startsWith('#'))
      } catch (err) {
        throw new UsageError('variants', `--from-created ${values['from-created']}: ${(err as Error).message}`)
      }
    }
    return cleanupVariants({
      host: values.host,
      match: compileRegex('variants', '--match', values.match),
      keep: compileRegex('variants', '--keep', values.keep),
      fromCreated,
      force: values.force,
      yes: values.yes,
    })
  })
}
