// How a case key (its vitest full name) is shown to people; used by the gate's messages and every rendering of them.
/** A case's full name without the spec file prefix: the file is in the name twice (`file > describe > case`). */
const FILE_PREFIX = /^(\S+\.(?:bench|test|spec)\.[cm]?[jt]s) > /

export function shortKey(key: string): string {
  return key.replace(FILE_PREFIX, '')
}

/** The spec file a case key (or a message that starts with one) names, if any — for `file=` on GitHub annotations. */
export function fileOfKey(key: string): string | undefined {
  return FILE_PREFIX.exec(key)?.[1]
}
