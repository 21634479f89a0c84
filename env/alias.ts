// The one alias function (docs/spec.md §5). The shell suite had several, and one turned `edit-items`
// into `edi-items`; here `-it` → `-i` only as a whole dash-separated word.
const WORD_MAP: Record<string, string> = { fp16: 'f16', bf16: 'b16', it: 'i' }

export function aliasOf(
  tag: string,
  knobs: { ALIAS_PREFIX: string; ALIAS_SUFFIX: string } = { ALIAS_PREFIX: 'LLM-FuZe-', ALIAS_SUFFIX: '' },
): { short: string; full: string } {
  const words = tag.replace(/[/:]/g, '-').split('-')
  const short = words.map((w, i) => (i > 0 && WORD_MAP[w] !== undefined ? WORD_MAP[w] : w)).join('-')
  return { short, full: `${knobs.ALIAS_PREFIX}${short}${knobs.ALIAS_SUFFIX}` }
}

/** The per-alias variable suffix: `LLAMACPP_PATH_<aliasKey(alias)>` (non-alphanumerics → `_`). */
export function aliasKey(alias: string): string {
  return alias.replace(/[^A-Za-z0-9]/g, '_')
}
