import { createHttpServer, type Config, type HttpServer, type Runtime } from '@pc/platform'
import { queryApp, type QueryAppOptions } from './app.js'

/** Set per process or test: everything the query app needs besides what the runtime gives. */
export type QueryServerOptions = Omit<QueryAppOptions, 'pool' | 'store' | 'config' | 'vault'>

/**
 * The query API's server: the shared platform server with the query app mounted. Not listening yet: `main.ts`
 * (or a test's `inject`) decides.
 */
export async function buildServer(config: Config, runtime: Runtime, options: QueryServerOptions = {}): Promise<HttpServer> {
  const app = await createHttpServer(config, runtime)
  await app.register(queryApp, { ...options, pool: runtime.pool, store: runtime.eventStore, config, vault: runtime.vault })
  return app
}
