import { commandApp } from '@pc/command-api'
import { loadProjectorConfig, projectorOptions, projectorPlugin, type ProjectorConfig } from '@pc/projector'
import { queryApp } from '@pc/query-api'
import { ConfigError, createHttpServer, serve } from '@pc/platform'
import type { CliCommand } from './command.js'

/**
 * `start`: the whole stack in one process on one port, on the embedded PostgreSQL unless `DATABASE_URL` is set —
 * the command API, the query API, and the projector (every read model, the ledger with its head signer, the SLA
 * worker).
 *
 * Shutdown order (`serve` closes the server, then the runtime): the HTTP server stops taking connections and lets
 * requests in flight finish; then the plugins close in reverse order of registration, so the projector (SLA worker
 * first, then the projections and the ledger head worker) stops before the query API's read models; the runtime
 * (event store, pool, embedded PostgreSQL) goes last.
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
    let projector: ProjectorConfig
    try {
      projector = loadProjectorConfig(io.env)
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      io.err(error.message)
      return 1
    }
    await serve({
      service: 'property-cases',
      env: io.env,
      announce: (url) => io.out(`listening on ${url}`),
      async build(config, runtime) {
        const options = await projectorOptions(config, runtime, projector)
        const app = await createHttpServer(config, runtime)
        await app.register(commandApp)
        await app.register(queryApp)
        await app.register(projectorPlugin, options)
        return app
      },
    })
    return undefined
  },
}
