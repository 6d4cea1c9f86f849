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

/** Pino options shared by every process: JSON lines, ISO time, level names, redaction. */
export function loggerOptions(config: Pick<Config, 'logLevel'>, service?: string): LoggerOptions {
  return {
    level: config.logLevel,
    base: service ? { service } : {},
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
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
