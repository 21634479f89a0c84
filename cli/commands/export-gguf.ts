// `fuze-bench export-gguf`: expose the GGUF blobs of an Ollama store as <alias>.gguf files for
// llama.cpp, and merge LLAMACPP_PATH_<alias> lines into models.env (the shell suite truncated it).
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  closeSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { homedir, hostname } from 'node:os'
import { join, resolve } from 'node:path'
import { stringify } from 'csv-stringify/sync'
import { aliasKey, aliasOf, getKnobs } from '../../env/index.ts'
import { compileRegex, parseCommandArgs, UsageError, withUsage } from '../lib/args.ts'
import { ENV_ROOT, fileStamp } from '../lib/paths.ts'
import { leftTable } from '../../reporters/console-table.ts'

export const help = `Export the GGUF files of an Ollama store for llama.cpp.

usage: fuze-bench export-gguf [--dest DIR] [--include RE] [--exclude RE] [--link|--copy] [--dry-run] [--env-out FILE]

Reads every manifest under $OLLAMA_MODELS/manifests/<registry>/<namespace>/<name>/<tag> (OLLAMA_MODELS,
default ~/.ollama/models), takes the layer application/vnd.ollama.image.model, checks the blob starts
with GGUF, and puts it at <dest>/<alias>.gguf (a symlink, or a copy with --copy).
LLAMACPP_PATH_<alias> lines are merged into models.env: other lines are kept.
A CSV ollama_export_<YYYYMMDD_HHMMSS>.csv (model_tag,gguf_path,size_bytes,host,status) goes to LOG_DIR.

  --dest DIR       where the .gguf files go (default: MODEL_DIR, else ./models)
  --include RE     only model tags matching RE (e.g. '^gemma3:')
  --exclude RE     skip model tags matching RE
  --link           symlink to the blob (default)
  --copy           copy the blob instead
  --dry-run        report what would be done, change nothing
  --env-out FILE   models.env to merge into (default: LLAMACPP_MODELS_ENV, else env/models.env)

Statuses: linked, copied, unchanged, would-link, would-copy, not-gguf (blob is not a GGUF file,
e.g. a projector or a safetensors import), missing-blob, no-model-layer, bad-manifest.
Exit status 0 unless the store cannot be read (1) or the usage is wrong (2).`

const MODEL_LAYER = 'application/vnd.ollama.image.model'
const DEFAULT_REGISTRY = 'registry.ollama.ai'

export interface ExportRow {
  model_tag: string
  gguf_path: string
  size_bytes: string
  host: string
  status: string
}

/** `registry.ollama.ai/library/gemma3/4b` → `gemma3:4b`; other namespaces and registries stay in the name. */
function tagOf(registry: string, ns: string, name: string, tag: string): string {
  if (registry === DEFAULT_REGISTRY) return ns === 'library' ? `${name}:${tag}` : `${ns}/${name}:${tag}`
  return `${registry}/${ns}/${name}:${tag}`
}

function manifests(store: string): { tag: string; path: string }[] {
  const root = join(store, 'manifests')
  const out: { tag: string; path: string }[] = []
  const dirs = (p: string) =>
    readdirSync(p, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
  for (const registry of dirs(root))
    for (const ns of dirs(join(root, registry)))
      for (const name of dirs(join(root, registry, ns)))
        for (const t of readdirSync(join(root, registry, ns, name), { withFileTypes: true })
          .filter((d) => d.isFile())
          .map((d) => d.name)
          .sort())
          out.push({ tag: tagOf(registry, ns, name, t), path: join(root, registry, ns, name, t) })
  return out.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0))
}

function startsWithGguf(path: string): boolean {
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.alloc(4)
    return readSync(fd, buf, 0, 4, 0) === 4 && buf.toString('latin1') === 'GGUF'
  } finally {
    closeSync(fd)
  }
}

/** Replaces or appends `LLAMACPP_PATH_<key>=` lines, keeping every other line; written atomically. */
export function mergeModelsEnv(file: string, updates: Record<string, string>): void {
  const lines = existsSync(file)
    ? readFileSync(file, 'utf8').replace(/\n$/, '').split('\n')
    : ['# LLAMACPP_PATH_<alias> lines written by `fuze-bench export-gguf`; other lines are kept.']
  const pending = new Map(Object.entries(updates))
  const merged = lines.map((line) => {
    const m = line.match(/^\s*(?:export\s+)?LLAMACPP_PATH_([A-Za-z0-9_]+)\s*=/)
    if (!m || !pending.has(m[1])) return line
    const value = pending.get(m[1])!
    pending.delete(m[1])
    return `LLAMACPP_PATH_${m[1]}=${JSON.stringify(value)}`
  })
  for (const [k, v] of pending) merged.push(`LLAMACPP_PATH_${k}=${JSON.stringify(v)}`)
  mkdirSync(resolve(file, '..'), { recursive: true })
  writeFileSync(`${file}.tmp`, `${merged.join('\n')}\n`)
  renameSync(`${file}.tmp`, file)
}

function place(blob: string, dest: string, copy: boolean, dryRun: boolean): string {
  const present = lstatSync(dest, { throwIfNoEntry: false })
  if (present) {
    const same = copy ? !present.isSymbolicLink() && present.size === statSync(blob).size : present.isSymbolicLink() && readlinkSync(dest) === blob
    if (same) return 'unchanged'
  }
  if (dryRun) return copy ? 'would-copy' : 'would-link'
  if (present) rmSync(dest)
  if (copy) copyFileSync(blob, dest)
  else symlinkSync(blob, dest)
  return copy ? 'copied' : 'linked'
}

/** Every option this command accepts (tests check each is documented in help). */
export const options = {
  dest: { type: 'string' },
  include: { type: 'string' },
  exclude: { type: 'string' },
  link: { type: 'boolean', default: false },
  copy: { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  'env-out': { type: 'string' },
} as const

export async function run(args: string[]): Promise<number> {
  return withUsage(async () => {
    const { values: v } = parseCommandArgs('export-gguf', args, options)
    const include = compileRegex('export-gguf', '--include', v.include)
    const exclude = compileRegex('export-gguf', '--exclude', v.exclude)
    if (v.link && v.copy) throw new UsageError('export-gguf', '--link and --copy exclude each other; pick one')
    const knobs = getKnobs()
    const store = resolve(knobs.OLLAMA_MODELS ?? join(homedir(), '.ollama', 'models'))
    if (!existsSync(join(store, 'manifests'))) {
      console.error(`export-gguf: no Ollama store at ${store} (no manifests/ folder); set OLLAMA_MODELS to the folder holding manifests/ and blobs/.`)
      return 1
    }
    const dest = resolve(v.dest ?? knobs.MODEL_DIR ?? 'models')
    const envOut = resolve(v['env-out'] ?? knobs.LLAMACPP_MODELS_ENV ?? join(ENV_ROOT, 'models.env'))
    const dryRun = v['dry-run']
    if (!dryRun) mkdirSync(dest, { recursive: true })
    const rows: ExportRow[] = []
    const updates: Record<string, string> = {}
    for (const m of manifests(store)) {
      if ((include && !include.test(m.tag)) || exclude?.test(m.tag)) continue
      const row: ExportRow = { model_tag: m.tag, gguf_path: '', size_bytes: '', host: hostname(), status: '' }
      rows.push(row)
      let layer: { mediaType?: string; digest?: string } | undefined
      try {
        const manifest = JSON.parse(readFileSync(m.path, 'utf8')) as { layers?: { mediaType?: string; digest?: string }[] }
        layer = manifest.layers?.find((l) => l.mediaType === MODEL_LAYER)
      } catch {
        row.status = 'bad-manifest'
        continue
      }
      if (!layer?.digest) {
        row.status = 'no-model-layer'
        continue
      }
      const blob = join(store, 'blobs', layer.digest.replace(':', '-'))
      if (!existsSync(blob)) {
        row.status = 'missing-blob'
        continue
      }
      row.size_bytes = String(statSync(blob).size)
      if (!startsWithGguf(blob)) {
        row.status = 'not-gguf'
        continue
      }
      const alias = aliasOf(m.tag, knobs).short
      row.gguf_path = join(dest, `${alias}.gguf`)
      row.status = place(blob, row.gguf_path, v.copy, dryRun)
      updates[aliasKey(alias)] = row.gguf_path
    }
    console.log(
      leftTable(
        ['model_tag', 'status', 'gguf_path'],
        rows.map((r) => [r.model_tag, r.status, r.gguf_path]),
      ),
    )
    if (dryRun) {
      console.log(`dry run: nothing written (${Object.keys(updates).length} LLAMACPP_PATH lines would be merged into ${envOut})`)
      return 0
    }
    if (Object.keys(updates).length) mergeModelsEnv(envOut, updates)
    mkdirSync(knobs.LOG_DIR, { recursive: true })
    const csv = join(knobs.LOG_DIR, `ollama_export_${fileStamp()}.csv`)
    writeFileSync(csv, stringify(rows, { header: true, columns: ['model_tag', 'gguf_path', 'size_bytes', 'host', 'status'] }))
    console.log(`models.env: ${envOut} (${Object.keys(updates).length} entries merged)\nreport: ${csv}`)
    return 0
  })
}
