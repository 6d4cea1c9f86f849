/**
 * `@pc/platform`: what every process shares — configuration, logging, the runtime (database, event store), and
 * the HTTP edge (errors as problem+json, auth, health, metrics, OpenAPI, request ids).
 *
 * @example
 * const config = loadConfig()
 * const runtime = await openRuntime(config)
 * const app = await createHttpServer(config, runtime)
 */
export { loadConfig, LOG_LEVELS, type Config, type LogLevel } from './config.js'
export { ConfigError, IdempotencyKeyReusedError, UnauthenticatedError } from './errors.js'
export { ensureJwtSecret, jwtSecretFile } from './jwt-secret.js'
export { createLogger, loggerOptions, REDACTED, REDACTED_PATHS, serializeError, type Logger } from './logger.js'
export { createMetricsRegistry, DEFAULT_BUCKETS, type HttpMetrics, type MetricsRegistry } from './metrics.js'
export { ROLES, Role } from './roles.js'
export { openRuntime, EMBEDDED_DATABASE, type DatabaseTables, type Runtime, type RuntimeOptions } from './runtime.js'
export { signToken, verifyToken, type AuthenticatedActor, type TokenClaims } from './tokens.js'
export { actorOf, requireAuthentication, requireRoles, type AuthPluginOptions } from './http/auth.plugin.js'
export { emptyBodyWhenAbsent, ETAG, type HeaderDoc } from './http/docs.plugin.js'
export { PROBLEM_CONTENT_TYPE, isUnavailable, problem, toProblem, type MappedError } from './http/problem.js'
export { Liveness, Readiness } from './http/health.plugin.js'
export { METRICS_CONTENT_TYPE } from './http/metrics.plugin.js'
export { REQUEST_ID_HEADER, genReqId } from './http/request-id.plugin.js'
export { createHttpServer, type HttpServer } from './http/server.js'
export { describeFailure, serve, type ServeOptions } from './process/serve.js'
export { takeOverExitHooks } from './process/exit-hooks.js'
