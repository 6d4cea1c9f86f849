import { createHttpServer, type Config, type HttpServer, type Runtime } from '@pc/platform'
import { commandApp } from './app.js'

/**
 * The command API's server: the shared platform server (logger, body limit, timeouts, zod, errors, auth, health,
 * metrics, docs) with the command app mounted. Not listening yet: `main.ts` (or a test's `inject`) decides.
 *
 * @example
 * const app = await buildServer(config, runtime)
 * t.teardown(() => app.close())
 * const res = await app.inject({ method: 'GET', url: '/health/ready' })
 */
export async function buildServer(config: Config, runtime: Runtime): Promise<HttpServer> {
  const app = await createHttpServer(config, runtime)
  await app.register(commandApp, { db: runtime.db, store: runtime.eventStore, config, vault: runtime.vault })
  return app
}
