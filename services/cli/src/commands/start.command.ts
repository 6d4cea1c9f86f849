import { commandApp } from '@pc/command-api'
import {
  loadProjectorConfig,
  projectorOptions,
  projectorPlugin,
  type ProjectorOptions,
} from '@pc/projector'
import { queryApp, type QueryServerOptions } from '@pc/query-api'
import { createHttpServer, serve, type Config, type HttpServer, type Runtime } from '@pc/platform'
import { orReport, type CliCommand } from './command.js'

export interface StackOptions {
  projector: ProjectorOptions
  query?: QueryServerOptions
}

/**
 * The whole stack on one server, not listening yet: command API, query API, projector. `start` builds it from the
 * environment; end-to-end tests build it with their own clock (`query.now`, `projector.sla.now`).
 *
 * Shutdown order (`serve` closes the server, then the runtime): the HTTP server stops taking connections and lets
 * requests in flight finish; then the plugins close in reverse order of registration, so the projector (SLA worker
 * first, then the projections and the ledger head worker) stops before the query API's read models; the runtime
 * (event store, pool, embedded PostgreSQL) goes last.
 *
 * @example
 * const app = await buildStack(config, runtime, { projector: await projectorOptions(config, runtime, projectorConfig) })
 * await app.listen({ port: config.port, host: config.host })
 */
export async function buildStack(config: Config, runtime: Runtime, options: StackOptions): Promise<HttpServer> {
  const app = await buildApi(config, runtime, options.query)
  await app.register(projectorPlugin, { ...options.projector, runtime })
  return app
}

/** Every route of the stack, the command and query APIs on one server, without the projector's workers. */
export async function buildApi(config: Config, runtime: Runtime, query?: QueryServerOptions): Promise<HttpServer> {
  const app = await createHttpServer(config, runtime)
  await app.register(commandApp, { db: runtime.db, store: runtime.eventStore, config, vault: runtime.vault })
  await app.register(queryApp, { ...query, pool: runtime.pool, store: runtime.eventStore, config, vault: runtime.vault })
  return app
}

/**
 * `start`: the whole stack in one process on one port (`buildStack`), on the embedded PostgreSQL unless
 * `DATABASE_URL` is set — the command API, the query API, and the projector (every read model, the ledger with its
 * head signer, the SLA worker).
 */
export const startCommand: CliCommand = {
  name: 'start',
  summary: 'run the whole stack on one port (embedded PostgreSQL unless DATABASE_URL is set)',
  usage: 'start',
  async run(args, io) {
    if (args.length > 0) {
      io.err(`start takes no arguments (configure it with environment variables; see README), got: ${args.join(' ')}`)
      return 2
    }
    // Checked before anything starts, like the shared configuration: a bad value costs no database start-up.
    const projector = orReport(io, () => loadProjectorConfig(io.env))
    if (!projector) return 1
    await serve({
      service: 'property-cases',
      env: io.env,
      announce: (url) => io.out(`listening on ${url}`),
      build: async (config, runtime) =>
        buildStack(config, runtime, { projector: await projectorOptions(config, runtime, projector) }),
    })
    return undefined
  },
}
