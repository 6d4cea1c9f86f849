/** Where a command writes and what environment it reads; tests pass their own. */
export interface CliIo {
  env: Readonly<Record<string, string | undefined>>
  out(line: string): void
  err(line: string): void
}

/**
 * One subcommand of `pnpm cli`. `run` resolves to the exit code, or to `undefined` when the command keeps the
 * process running (`start`) and sets the exit code itself when it ends.
 */
export interface CliCommand {
  name: string
  summary: string
  usage: string
  run(args: string[], io: CliIo): Promise<number | undefined>
}

/** Exit code for a command line that cannot be understood (as `sysexits` EX_USAGE would, kept small). */
export const USAGE_ERROR = 2
