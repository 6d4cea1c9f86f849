import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Config } from '../config.js'
import type { Logger } from '../logger.js'
import type { Runtime } from '../runtime.js'
import authPlugin from './auth.plugin.js'
import docsPlugin from './docs.plugin.js'
import errorsPlugin from './errors.plugin.js'
import healthPlugin from './health.plugin.js'
import metricsPlugin from './metrics.plugin.js'
import requestIdPlugin, { genReqId } from './request-id.plugin.js'

/** A Fastify instance with zod schemas on its routes. */
export type HttpServer = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger, ZodTypeProvider>

/** Longer than `waitFor`'s 5 s, short enough that a stuck request does not hold a socket forever. */
const REQUEST_TIMEOUT_MS = 30_000
/** Longer than the 60 s idle timeout of common load balancers, so they close first and never hit a dead socket. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000

/**
 * The server every service shares, with no application routes yet: logger, body limit, timeouts, request
 * ids, zod validation, problem+json errors, auth, `/health/*`, `/metrics` and `/docs`. A service registers its
 * app plugin on the result; `pnpm start` registers all of them on one.
 *
 * @example
 * const app = await createHttpServer(config, runtime)
 * await app.register(commandApp, { db: runtime.db, store: runtime.eventStore, config, vault: runtime.vault })
 * await app.listen({ port: config.port, host: config.host })
 */
export async function createHttpServer(config: Config, runtime: Runtime): Promise<HttpServer> {
  const app = Fastify({
    loggerInstance: runtime.logger,
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // Ids come from `genReqId`, which vets a caller's `X-Request-Id` before trusting it.
    requestIdHeader: false,
    genReqId,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
  }).withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)

  await app.register(requestIdPlugin)
  await app.register(errorsPlugin)
  await app.register(docsPlugin)
  await app.register(metricsPlugin)
  await app.register(authPlugin, { secrets: runtime.jwtSecrets })
  await app.register(healthPlugin, { pingDatabase: () => runtime.pingDatabase(), pingEventStore: () => runtime.eventStore.ping() })
  return app
}
