import { randomUUID } from 'node:crypto'
import { createHttpServer, serve } from '../../src/index.js'

/**
 * A service as `main.ts` runs one, for `serve.e2e.test.ts`: the shared server with one route, and order markers on
 * stdout. `SERVE_CHILD_CRASH=1` throws outside any request once listening; `SERVE_CHILD_SLOW_CLOSE=1` makes the
 * server take longer to close than the shutdown deadline. `POST /events/:stream` appends one event to the runtime's event
 * store and `GET /events/:stream` lists the event ids there, for tests that check data survives a restart.
 */
await serve({
  service: 'serve-child',
  announce: (url) => process.stdout.write(`listening on ${url}\n`),
  async build(config, runtime) {
    const app = await createHttpServer(config, runtime)
    app.get('/ping', async () => ({ pong: true }))
    app.post<{ Params: { stream: string } }>('/events/:stream', async (request) => {
      const eventId = randomUUID()
      const metadata = {
        actor: { id: 'system:serve-child', roles: [] },
        occurredAt: new Date().toISOString(),
        correlationId: eventId,
        causationId: null,
        prevHash: '0'.repeat(64),
        hash: '0'.repeat(64),
      }
      await runtime.eventStore.append(request.params.stream, [{ eventId, type: 'Tested', schemaVersion: 1, data: {}, metadata }])
      return { eventId }
    })
    app.get<{ Params: { stream: string } }>('/events/:stream', async (request) => {
      const ids: string[] = []
      for await (const event of runtime.eventStore.readStream(request.params.stream)) ids.push(event.eventId)
      return { ids }
    })
    app.addHook('onClose', async () => {
      if (process.env.SERVE_CHILD_SLOW_CLOSE === '1') await new Promise((resolve) => setTimeout(resolve, 60_000))
      // The runtime must still be open while the server closes: shutdown goes server first.
      await runtime.pingDatabase()
      process.stdout.write('server closed, database still open\n')
    })
    if (process.env.SERVE_CHILD_CRASH === '1') {
      app.addHook('onListen', async () => {
        setTimeout(() => {
          throw new Error('boom outside any request')
        }, 50)
      })
    }
    return app
  },
})
