import { createHttpServer, type Config, type HttpServer, type Runtime } from '@pc/platform'
import type { ProjectorConfig } from './config.js'
import { projectorOptions } from './projector.options.js'
import projectorPlugin from './projector.plugin.js'

/**
 * The projector run alone: the shared platform server (for `/health/*` and `/metrics`; the projector has no API of
 * its own) with the projector mounted. Not listening yet: `main.ts` decides.
 */
export async function buildServer(config: Config, runtime: Runtime, projector: ProjectorConfig): Promise<HttpServer> {
  const options = await projectorOptions(config, runtime, projector)
  const app = await createHttpServer(config, runtime)
  await app.register(projectorPlugin, { ...options, runtime })
  return app
}
