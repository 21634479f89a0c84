// How a case key (its vitest full name) is shown to people; used by the gate's messages and every rendering of them.
/** A case's full name without the spec file prefix: the file is in the name twice (`file > describe > case`). */
export function shortKey(key: string): string {
  return key.replace(/^\S+\.(?:bench|test|spec)\.[cm]?[jt]s > /, '')
}
