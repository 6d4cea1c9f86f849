import { commandApp } from '@pc/command-api'
import { queryApp } from '@pc/query-api'
import { createHttpServer, serve } from '@pc/platform'
import type { CliCommand } from './command.js'

/**
 * `start`: the whole stack in one process on one port, on the embedded PostgreSQL unless `DATABASE_URL` is set.
 * Today that is the command API; the query API and the projector are mounted here as they arrive.
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
    await serve({
      service: 'property-cases',
      env: io.env,
      announce: (url) => io.out(`listening on ${url}`),
      async build(config, runtime) {
        const app = await createHttpServer(config, runtime)
        await app.register(commandApp)
        await app.register(queryApp)
        // Planned: the projector's workers, started here and stopped in an `onClose` hook so shutdown keeps its order.
        return app
      },
    })
    return undefined
  },
}
