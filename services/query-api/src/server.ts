import { createHttpServer, type Config, type HttpServer, type Runtime } from '@pc/platform'
import { queryApp } from './app.js'
import type { QueryAppOptions } from './options.js'

/**
 * The query API's server: the shared platform server with the query app mounted. Not listening yet: `main.ts`
 * (or a test's `inject`) decides.
 */
export async function buildServer(config: Config, runtime: Runtime, options: QueryAppOptions = {}): Promise<HttpServer> {
  const app = await createHttpServer(config, runtime)
  await app.register(queryApp, options)
  return app
}
