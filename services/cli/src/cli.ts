import { USAGE_ERROR, type CliCommand, type CliIo } from './commands/command.js'

/**
 * One line of the command list: its name and summary for `help`, and the module that holds the command, imported
 * only when that command runs. `token` then loads a JWT library and the configuration, not what `start` needs
 * (Fastify, the database driver, every context): the command line starts in a fraction of a second.
 * `test/cli-startup.e2e.test.ts` checks that the summary here is the command's own.
 */
export interface CommandEntry {
  name: string
  summary: string
  load(): Promise<CliCommand>
}

/** A command that a later issue brings; listed in the help so the command line's shape is visible now. */
function planned(name: string, summary: string): CommandEntry {
  const command: CliCommand = {
    name,
    summary: `${summary} (planned)`,
    usage: name,
    async run(_args, io) {
      io.err(`${name}: not implemented yet`)
      return USAGE_ERROR
    },
  }
  return { name, summary: command.summary, load: async () => command }
}

/**
 * Every subcommand. Add one by writing `commands/<name>.command.ts` and a line here (or replacing its `planned`
 * entry); import its module in `load` only, never at the top of this file.
 */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'start',
    summary: 'run the whole stack on one port (embedded PostgreSQL unless DATABASE_URL is set)',
    load: async () => (await import('./commands/start.command.js')).startCommand,
  },
  {
    name: 'token',
    summary: 'print a signed JWT for a user id and roles',
    load: async () => (await import('./commands/token.command.js')).tokenCommand,
  },
  {
    name: 'rebuild',
    summary: 'rebuild read models from the event log (fresh tables, swapped in when caught up)',
    load: async () => (await import('./commands/rebuild.command.js')).rebuildCommand,
  },
  {
    name: 'export',
    summary: 'write a stream or the whole log as JSON lines, with the signed head and public key alongside',
    load: async () => (await import('./commands/export.command.js')).exportCommand,
  },
  {
    name: 'verify',
    summary: 'check an export offline: hash chains, the Merkle tree, the signed head and proofs',
    load: async () => (await import('./commands/verify.command.js')).verifyCommand,
  },
  {
    name: 'audit',
    summary: 'check the live store against the ledger: chains, tree, every signed head; report the first divergence',
    load: async () => (await import('./commands/audit.command.js')).auditCommand,
  },
  {
    name: 'rotate-master-key',
    summary: 're-wrap every personal-data key under a new master key (events untouched; stop the stack first)',
    load: async () => (await import('./commands/rotate-master-key.command.js')).rotateMasterKeyCommand,
  },
  {
    name: 'import',
    summary: 'restore a whole-log export into an empty store (verified first; the same log, hashes and Merkle tree)',
    load: async () => (await import('./commands/import.command.js')).importCommand,
  },
  {
    name: 'rotate-signing-key',
    summary: 'start a new ledger signing key; the old one is retired and keeps verifying its heads',
    load: async () => (await import('./commands/rotate-signing-key.command.js')).rotateSigningKeyCommand,
  },
  {
    name: 'openapi',
    summary: 'print the OpenAPI document the server serves at /docs/json (or write it with --out)',
    load: async () => (await import('./commands/openapi.command.js')).openapiCommand,
  },
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
  const entry = COMMANDS.find((c) => c.name === name)
  if (!entry) {
    io.err(`unknown command "${name}"\n\n${help()}`)
    return USAGE_ERROR
  }
  const command = await entry.load()
  if (args.includes('--help') || args.includes('-h')) {
    io.out(`usage: pnpm cli ${command.usage}\n\n${command.summary}`)
    return 0
  }
  return command.run(args, io)
}

export type { CliCommand, CliIo }
