import { startCommand } from './commands/start.command.js'
import { tokenCommand } from './commands/token.command.js'
import { rebuildCommand } from './commands/rebuild.command.js'
import { exportCommand } from './commands/export.command.js'
import { verifyCommand } from './commands/verify.command.js'
import { auditCommand } from './commands/audit.command.js'
import { rotateMasterKeyCommand } from './commands/rotate-master-key.command.js'
import { rotateSigningKeyCommand } from './commands/rotate-signing-key.command.js'
import { USAGE_ERROR, type CliCommand, type CliIo } from './commands/command.js'

/** A command that a later issue brings; listed in the help so the command line's shape is visible now. */
function planned(name: string, summary: string): CliCommand {
  return {
    name,
    summary: `${summary} (planned)`,
    usage: name,
    async run(_args, io) {
      io.err(`${name}: not implemented yet`)
      return USAGE_ERROR
    },
  }
}

/**
 * Every subcommand. Add one by writing `commands/<name>.command.ts` and replacing its `planned` entry here.
 */
export const COMMANDS: readonly CliCommand[] = [
  startCommand,
  tokenCommand,
  rebuildCommand,
  exportCommand,
  verifyCommand,
  auditCommand,
  rotateMasterKeyCommand,
  rotateSigningKeyCommand,
  planned('replay', 'rebuild a stream\'s state as of a time or revision'),
]

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return [
    'usage: pnpm cli <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'configuration comes from environment variables (PORT, DATA_DIR, DATABASE_URL, JWT_SECRET, …; see README).',
  ].join('\n')
}

/**
 * Runs one command line. Resolves to the exit code, or `undefined` when the command keeps running (`start`).
 *
 * @example
 * const code = await runCli(['token', '--sub', 'u-1', '--role', 'staff'], io)
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number | undefined> {
  const [name, ...args] = argv
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out(help())
    return name === undefined ? USAGE_ERROR : 0
  }
  const command = COMMANDS.find((c) => c.name === name)
  if (!command) {
    io.err(`unknown command "${name}"\n\n${help()}`)
    return USAGE_ERROR
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.out(`usage: pnpm cli ${command.usage}\n\n${command.summary}`)
    return 0
  }
  return command.run(args, io)
}

export type { CliCommand, CliIo }
