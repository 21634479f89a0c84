// Argument parsing shared by the reporter CLI commands: node:util parseArgs with an error that says
// which command and where to look, instead of a bare "Unknown option".
import { parseArgs, type ParseArgsConfig } from 'node:util'

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(command: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new Error(`${(err as Error).message}. See \`npx fuze-bench ${command} --help\` for the options.`)
  }
}

export function positiveInt(flag: string, raw: string | undefined, dflt: number): number {
  if (raw === undefined) return dflt
  const v = Number(raw)
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${flag} '${raw}' is not a positive integer (e.g. --${flag} 10)`)
  return v
}
