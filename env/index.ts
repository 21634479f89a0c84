// Public entry of env/: knob schema, env-file parsing, precedence, redaction, aliases.
export { KNOB_DEFS, DEFAULT_PROMPT, defOf, type KnobDef, type KnobGroup, type Knobs, type TritonModel } from './knobs.ts'
export {
  KnobError,
  loadKnobs,
  getKnobs,
  pinKnobs,
  resetKnobsCache,
  effectiveEnv,
  formatKnobValue,
  nearestKnob,
  FLAGS_ENV,
  type KnobIssue,
  type LoadOptions,
} from './load.ts'
export { parseEnvFile, parseEnvText, EnvFileError, type EnvEntry, type EnvFileIssue } from './env-file.ts'
export { redact, isSecretName, REDACTED } from './redact.ts'
export { aliasOf, aliasKey } from './alias.ts'
