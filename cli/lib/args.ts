// Argument parsing for commands: node:util parseArgs, with errors phrased for users and exit code 2.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { FuzeError } from '../../helpers/errors.ts'

export class UsageError extends FuzeError {
  constructor(command: string, message: string) {
    super(`${message}. Run \`fuze-bench ${command} --help\` for the options.`)
    this.name = 'UsageError'
  }
}

type Options = NonNullable<ParseArgsConfig['options']>

export function parseCommandArgs<O extends Options>(command: string, args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true })
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/^Unknown option '(.*)'$/, "unknown option '$1'")
    throw new UsageError(command, msg)
  }
}

/** Runs a command body; usage errors print to stderr and give exit code 2 (bad invocation), like the dispatcher's unknown command. */
export async function withUsage(fn: () => Promise<number>): Promise<number> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(err.message)
      return 2
    }
    throw err
  }
}

export function compileRegex(command: string, flag: string, source: string | undefined): RegExp | undefined {
  if (source === undefined) return undefined
  try {
    return new RegExp(source)
  } catch (err) {
    throw new UsageError(command, `${flag} '${source}' is not a valid regular expression (${(err as Error).message})`)
  }
}
