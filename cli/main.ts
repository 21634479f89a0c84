// `fuze-bench <command>`: each command lives in cli/commands/<name>.ts and exports
// `help` (string) and `run(args: string[]): Promise<number>` (the exit code).
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

export interface Command {
  help: string
  run(args: string[]): Promise<number>
}

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands')

export function commandNames(): string[] {
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort()
}

async function load(name: string): Promise<Command> {
  return (await import(join(commandsDir, `${name}.ts`))) as Command
}

async function usage(): Promise<string> {
  const lines = ['usage: fuze-bench <command> [options]   (fuze-bench <command> --help for details)', '', 'commands:']
  for (const name of commandNames()) {
    const first = (await load(name)).help.split('\n')[0]
    lines.push(`  ${name.padEnd(12)} ${first}`)
  }
  return lines.join('\n')
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await usage())
    return name ? 0 : 2
  }
  if (!commandNames().includes(name)) {
    console.error(`fuze-bench: unknown command '${name}'.\n${await usage()}`)
    return 2
  }
  const cmd = await load(name)
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(cmd.help)
    return 0
  }
  try {
    return await cmd.run(rest)
  } catch (err) {
    console.error(`fuze-bench ${name}: ${err instanceof Error ? err.message : String(err)}`)
    return 1
  }
}
