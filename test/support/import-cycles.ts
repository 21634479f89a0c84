// Import cycles between the project's files, found with the TypeScript compiler's own parser and module
// resolution. Type-only imports count: a cycle of types is still two files that cannot be read (or moved)
// one without the other, and the fix is the same — the shared shape goes into a leaf module.
// Run as a script (`npm run cycles`, part of `npm test`): prints every cycle and exits 1, or exits 0.
import { readFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import ts from 'typescript'

/** One strongly connected group of files (a loop), each with the files of the group it imports. */
export interface Cycle {
  files: string[]
  edges: [from: string, to: string][]
}

/** Every project file the tsconfig includes, relative to root, and its imports that resolve to another of them. */
export function importGraph(root: string): Map<string, string[]> {
  const configPath = resolve(root, 'tsconfig.json')
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile)
  if (error) throw new Error(`cannot read ${configPath}: ${ts.flattenDiagnosticMessageText(error.messageText, '\n')}`)
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configPath))
  const files = new Set(parsed.fileNames.map((f) => resolve(f)))
  const host = ts.createCompilerHost(parsed.options)
  const graph = new Map<string, string[]>()
  for (const file of files) {
    // preProcessFile lists `import type`, `export … from` and literal `import()` as well as plain imports
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
    const targets = new Set<string>()
    for (const ref of info.importedFiles) {
      // the package is "type": "module", so every file resolves as ESM
      const hit = ts.resolveModuleName(ref.fileName, file, parsed.options, host, undefined, undefined, ts.ModuleKind.ESNext).resolvedModule
      if (!hit || hit.isExternalLibraryImport) continue
      const target = resolve(hit.resolvedFileName)
      if (files.has(target)) targets.add(relative(root, target))
    }
    graph.set(relative(root, file), [...targets].sort())
  }
  return graph
}

/** Tarjan's strongly connected components; every component of more than one file (or a file importing itself) is a cycle. */
export function findCycles(graph: Map<string, string[]>): Cycle[] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: Cycle[] = []
  let next = 0
  const visit = (v: string) => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) !== index.get(v)) return
    const group: string[] = []
    let w: string
    do {
      w = stack.pop()!
      onStack.delete(w)
      group.push(w)
    } while (w !== v)
    const members = new Set(group)
    const edges = group.flatMap((f) => (graph.get(f) ?? []).filter((t) => members.has(t)).map((t): [string, string] => [f, t]))
    if (group.length > 1 || edges.length > 0) cycles.push({ files: group.sort(), edges: edges.sort() })
  }
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v)
  return cycles.sort((a, b) => a.files[0].localeCompare(b.files[0]))
}

/**
 * The folders' layering, bottom up: core (leaf infrastructure) < env (knobs) < sim, helpers, fixtures (the measuring
 * side) < reporters (the main process's results) < cli. An import against it is a back edge: the lower folder could
 * no longer be read, tested or moved without the higher one. Each rule names a folder and the folders it must not
 * import; `*` is every folder but its own. Files at the root (vitest.config.ts) and test/ and benches/ may import anything.
 */
export const FOLDER_RULES: ReadonlyArray<{ folder: string; mustNot: readonly string[] }> = [
  { folder: 'core', mustNot: ['*'] },
  { folder: 'env', mustNot: ['sim', 'fixtures', 'reporters', 'cli'] },
  { folder: 'sim', mustNot: ['fixtures', 'reporters', 'cli'] },
  { folder: 'fixtures', mustNot: ['reporters', 'cli'] },
  { folder: 'helpers', mustNot: ['cli'] },
  { folder: 'reporters', mustNot: ['cli'] },
]

const folderOf = (file: string) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '')

/** Every import that crosses the layering (FOLDER_RULES), as [from, to] file pairs. */
export function backEdges(graph: Map<string, string[]>, rules = FOLDER_RULES): [from: string, to: string][] {
  const out: [string, string][] = []
  for (const [from, targets] of graph) {
    const rule = rules.find((r) => r.folder === folderOf(from))
    if (!rule) continue
    for (const to of targets) {
      const target = folderOf(to)
      if (target !== rule.folder && (rule.mustNot.includes('*') || rule.mustNot.includes(target))) out.push([from, to])
    }
  }
  return out.sort()
}

export function formatBackEdges(edges: [string, string][]): string {
  const lines = [`${edges.length} import(s) against the folder layering (core < env < sim, helpers, fixtures < reporters < cli):`]
  for (const [from, to] of edges) lines.push(`  ${from} -> ${to}`)
  lines.push('Move what both need into the lower folder (core/ for leaf infrastructure), or pass it in from above.')
  return lines.join('\n')
}

export function formatCycles(cycles: Cycle[]): string {
  const lines = [`${cycles.length} import cycle(s) between files (type-only imports count):`]
  for (const c of cycles) {
    lines.push(`  ${c.files.join(', ')}`)
    for (const [from, to] of c.edges) lines.push(`    ${from} -> ${to}`)
  }
  lines.push('Move the shared types or functions into a leaf module that both sides import, so no file imports back.')
  return lines.join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = resolve(process.argv[2] ?? '.')
  const graph = importGraph(root)
  const cycles = findCycles(graph)
  const back = backEdges(graph)
  if (cycles.length > 0) console.error(formatCycles(cycles))
  if (back.length > 0) console.error(formatBackEdges(back))
  if (cycles.length > 0 || back.length > 0) process.exitCode = 1
  else console.log(`import cycles: none among ${graph.size} files`)
}
