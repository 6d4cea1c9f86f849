import { parseArgs, type ParseArgsConfig } from 'node:util'
import { ConfigError, loadConfig, type Config } from '@pc/platform/config'
import type { ProgressSink } from '../progress/progress.js'

/** Where a command writes and what environment it reads; tests pass their own. */
export interface CliIo {
  env: Readonly<Record<string, string | undefined>>
  out(line: string): void
  err(line: string): void
  /** Where long commands draw their progress (the process's stderr); none: they draw nothing. */
  progress?: ProgressSink
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

/**
 * A command's options, strictly parsed (`node:util` `parseArgs`), or `USAGE_ERROR` after printing what is wrong as
 * `<command>: <message>`, followed by `usage` when given.
 *
 * @example
 * const parsed = parseCommandArgs('export', args, io, { out: { type: 'string' } })
 * if (typeof parsed === 'number') return parsed
 */
export function parseCommandArgs<const Options extends NonNullable<ParseArgsConfig['options']>, const Positionals extends boolean = false>(
  name: string,
  args: string[],
  io: CliIo,
  options: Options,
  more: { allowPositionals?: Positionals; usage?: string } = {},
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: (more.allowPositionals ?? false) as Positionals })
  } catch (error) {
    io.err(`${name}: ${(error as Error).message}${more.usage === undefined ? '' : `\n${more.usage}`}`)
    return USAGE_ERROR
  }
}

/**
 * The configuration from the command's environment, or `undefined` after printing the one-line configuration
 * error (the command then exits 1, as `start` does). The statement, query and idle-in-transaction limits are for
 * requests, which must answer in seconds; a batch command (a rebuild swapping large tables, an audit of the whole
 * log) runs without them, keeping only the connect timeout.
 */
export function configOrReport(io: CliIo): Config | undefined {
  const config = orReport(io, () => loadConfig(io.env))
  return (
    config &&
    Object.freeze({
      ...config,
      database: Object.freeze({ ...config.database, statementTimeoutMs: 0, queryTimeoutMs: 0, idleInTransactionTimeoutMs: 0 }),
    })
  )
}

/**
 * `load()`, or `undefined` after printing its one-line `ConfigError` (the command then exits 1): every piece of
 * configuration a command reads is refused the same way.
 *
 * @example
 * const projector = orReport(io, () => loadProjectorConfig(io.env))
 * if (!projector) return 1
 */
export function orReport<T>(io: CliIo, load: () => T): T | undefined {
  try {
    return load()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    io.err(error.message)
    return undefined
  }
}

/** A check's result line (stdout when it held, stderr when not) and its exit code. */
export function printResult(io: CliIo, result: { ok: boolean; summary: string; exitCode: number }): number {
  if (result.ok) io.out(result.summary)
  else io.err(result.summary)
  return result.exitCode
}
