import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Config } from '../config.js'
import type { Logger } from '../logger.js'
import type { Runtime } from '../runtime.js'
import authPlugin from './auth.plugin.js'
import docsPlugin from './docs.plugin.js'
import errorsPlugin, { sendProblem } from './errors.plugin.js'
import healthPlugin from './health.plugin.js'
import mediaTypePlugin from './media-type.plugin.js'
import metricsPlugin from './metrics.plugin.js'
import rateLimitPlugin from './rate-limit.plugin.js'
import requestIdPlugin, { genReqId } from './request-id.plugin.js'
import securityHeadersPlugin from './security-headers.plugin.js'

/** A Fastify instance with zod schemas on its routes. */
export type HttpServer = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger, ZodTypeProvider>

/** The time a client may take to send its request (Node's `requestTimeout`; slow-loris protection). */
const RECEIVE_TIMEOUT_MS = 30_000
/** Longer than the 60 s idle timeout of common load balancers, so they close first and never hit a dead socket. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000

/**
 * The server every service shares, with no application routes yet: logger, body limit, timeouts, request
 * ids, security headers and CORS, UTF-8 JSON bodies only, zod validation, problem+json errors, rate limits, auth,
 * `/health/*`, `/metrics` and `/docs`.
 * A service registers its app plugin on the result; `pnpm start` registers all of them on one.
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
    requestTimeout: RECEIVE_TIMEOUT_MS,
    // `REQUEST_TIMEOUT_MS`: answered by then, if need be with 503 UNAVAILABLE (the handler's own work goes on
    // until the database timeouts end it; see `DatabaseTimeouts`).
    handlerTimeout: config.requestTimeoutMs,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // Ids come from `genReqId`, which vets a caller's `X-Request-Id` before trusting it.
    requestIdHeader: false,
    genReqId,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    // What the router refuses before any route runs (a malformed URL, a path parameter over its length) is
    // answered like every other error: problem+json, never Fastify's own body.
    frameworkErrors: (error, request, reply) => void sendProblem(error, request, reply),
  }).withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)

  await app.register(requestIdPlugin)
  await app.register(securityHeadersPlugin, { corsOrigins: config.corsOrigins })
  await app.register(errorsPlugin)
  await app.register(mediaTypePlugin)
  // Before any route, so every route is limited (the plugin leaves out `/health/*` and `/metrics` itself).
  await app.register(rateLimitPlugin, {
    perMinute: config.rateLimitPerMinute,
    authFailuresPerMinute: config.rateLimitAuthFailuresPerMinute,
  })
  await app.register(docsPlugin)
  await app.register(metricsPlugin)
  await app.register(authPlugin, { secrets: runtime.jwtSecrets, failures: app.authFailures })
  await app.register(healthPlugin, { pingDatabase: () => runtime.pingDatabase(), pingEventStore: () => runtime.eventStore.ping() })
  return app
}
