// A case's identity — its spec file and its full name (`describe > … > case`, without the file) — and the one key
// every reader groups a case's data by: requests.jsonl lines, gate rows, baselines, the report, compare. The short
// case name alone is not an identity: every each-served-model and `gpu: 'each'` spec has many cases of one name.
// A leaf module (no imports), so the measuring side (helpers) and the reading side (reporters) share it.

/** What names a case: where it is declared and its name path there. */
export interface CaseIdentity {
  /** The spec file, as vitest names it (relative to the project root); '' when unknown (an old summary). */
  file: string
  /** `describe > … > case`, without the file. */
  fullName: string
}

/** The key of a case: `<file> > <describe> > … > <case>`, or the full name alone when the file is unknown. */
export function caseKey(c: { file?: string; fullName: string }): string {
  if (!c.file || c.fullName.startsWith(`${c.file} > `)) return c.fullName
  return `${c.file} > ${c.fullName}`
}

/**
 * The case key of a requests.jsonl line: the case runner writes `file` and `case` (the full name) on every line;
 * lines of writers older than that carry only `caseName`, which is the best key they have.
 */
export function recordCaseKey(r: { file?: string; case?: string; caseName: string }): string {
  return r.case === undefined ? r.caseName : caseKey({ file: r.file, fullName: r.case })
}

/** A case's full name without the spec file prefix: the file is in the name twice (`file > describe > case`). */
const FILE_PREFIX = /^(\S+\.(?:bench|test|spec)\.[cm]?[jt]s) > /

/** How a case key is shown to people (tables, messages): without its file. */
export function shortKey(key: string): string {
  return key.replace(FILE_PREFIX, '')
}

/** The spec file a case key (or a message that starts with one) names, if any — for `file=` on GitHub annotations. */
export function fileOfKey(key: string): string | undefined {
  return FILE_PREFIX.exec(key)?.[1]
}

/**
 * Whether two keys name one case: the same key, or — where one was saved before keys carried the file (a baseline,
 * an older run) — the same full name.
 */
export function sameCase(a: string, b: string): boolean {
  return a === b || (fileOfKey(a) === undefined && a === shortKey(b)) || (fileOfKey(b) === undefined && b === shortKey(a))
}
