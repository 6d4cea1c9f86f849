import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino'
import type { Config } from './config.js'

/**
 * Log paths that may carry personal data (DESIGN §7) or credentials. Pino replaces them before a line is
 * written, so a careless `log.info({ command })` cannot put a resident's name or phone number into the logs.
 * A path here is cheap; a name in a log file is not: add paths generously.
 */
export const REDACTED_PATHS: readonly string[] = [
  // credentials
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  'jwtSecret',
  '*.jwtSecret',
  'jwtSecretPrevious',
  '*.jwtSecretPrevious',
  'jwtSecrets',
  '*.jwtSecrets',
  'databaseUrl',
  '*.databaseUrl',
  // An HTTP client's error may carry the request's headers. These two also give `err` and `error` a redactor of
  // their own, and only such a one tells `censor` which key it is under (a path starting with `*` does not).
  'err.headers.authorization',
  'error.headers.authorization',
  // personal data, at the top level of a log line and one or two objects down
  ...['name', 'phone', 'email', 'contact', 'reporter', 'address', 'idNumber'].flatMap((key) => [
    key,
    `*.${key}`,
    `*.*.${key}`,
  ]),
  'parties[*].name',
  'parties[*].phone',
  '*.parties[*].name',
  '*.parties[*].phone',
  '*.*.parties[*].name',
  '*.*.parties[*].phone',
]

export const REDACTED = '[redacted]'

/**
 * Keys under which an error is logged. Their `name` is the error's class (`DatabaseError`, `TypeError`), which a
 * reader needs, not a person's: the `*.name` redaction spares it there.
 */
const ERROR_KEYS: ReadonlySet<string> = new Set(['err', 'error', 'cause'])

function censor(value: unknown, path: readonly (string | symbol)[]): unknown {
  const parent = path.at(-2)
  const onError = typeof parent === 'string' && ERROR_KEYS.has(parent)
  return path.at(-1) === 'name' && onError && typeof value === 'string' ? value : REDACTED
}

/**
 * The fields of a PostgreSQL error that are about the schema, never about the request: `where`, `detail`,
 * `query`, parameters and even `message` can quote the data (`invalid input syntax for type uuid: "…"`, the JSON
 * text around a NUL byte), so they are left out.
 */
const DATABASE_ERROR_FIELDS = ['code', 'severity', 'constraint', 'schema', 'table', 'column', 'dataType', 'routine'] as const

interface ErrorLike {
  message: string
  name?: unknown
  stack?: unknown
  cause?: unknown
  errors?: unknown
  [key: string]: unknown
}

function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string'
}

/** node-postgres' `DatabaseError`, by shape: a five-character SQLSTATE and a severity. */
function isDatabaseError(error: ErrorLike): boolean {
  return typeof error.code === 'string' && /^[0-9A-Z]{5}$/.test(error.code) && typeof error.severity === 'string'
}

/** The stack without its first line, which repeats the message. */
function framesOf(stack: unknown): string | undefined {
  if (typeof stack !== 'string') return undefined
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line))
  return frames.join('\n')
}

/**
 * Pino's `err` serializer, with two differences: a database error keeps only its code, constraint and where in
 * the schema it happened (DATABASE_ERROR_FIELDS), and causes are nested (`cause`) rather than merged into one
 * message, so a database error wrapped in a `StoreUnavailableError` is cut down the same way.
 */
export function serializeError(error: unknown, depth = 0): unknown {
  if (!isErrorLike(error) || depth > 5) return error
  const type = typeof error.constructor === 'function' ? error.constructor.name : undefined
  if (isDatabaseError(error)) {
    const out: Record<string, unknown> = { type, name: error.name, message: `database error ${String(error.code)}` }
    for (const field of DATABASE_ERROR_FIELDS) if (error[field] !== undefined) out[field] = error[field]
    const frames = framesOf(error.stack)
    if (frames) out.stack = frames
    return out
  }
  const out: Record<string, unknown> = { type, name: error.name, message: error.message, stack: error.stack }
  for (const key in error) {
    if (key === 'cause' || key === 'errors' || key in out) continue
    const value = error[key]
    out[key] = isErrorLike(value) ? serializeError(value, depth + 1) : value
  }
  if (isErrorLike(error.cause)) out.cause = serializeError(error.cause, depth + 1)
  if (Array.isArray(error.errors)) out.aggregateErrors = error.errors.map((e) => serializeError(e, depth + 1))
  return out
}

/** Pino options shared by every process: JSON lines, ISO time, level names, redaction, database-safe errors. */
export function loggerOptions(config: Pick<Config, 'logLevel'>, service?: string): LoggerOptions {
  return {
    level: config.logLevel,
    base: service ? { service } : {},
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACTED_PATHS], censor },
    serializers: { err: serializeError },
  }
}

/**
 * The process logger. Fastify gets it as `loggerInstance`, so request logs and runtime logs share one stream and
 * one redaction list; each request's child logger carries `requestId`.
 *
 * @example
 * const log = createLogger(config, { service: 'command-api' })
 * log.info({ port: config.port }, 'listening')
 */
export function createLogger(
  config: Pick<Config, 'logLevel'>,
  options: { service?: string; destination?: DestinationStream } = {},
): Logger {
  const opts = loggerOptions(config, options.service)
  return options.destination ? pino(opts, options.destination) : pino(opts)
}

export type { Logger }
