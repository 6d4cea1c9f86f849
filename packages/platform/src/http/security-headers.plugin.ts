import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'

export interface SecurityHeadersOptions {
  /** `CORS_ORIGINS`: the origins allowed cross-origin; empty turns CORS off. */
  corsOrigins: readonly string[]
}

/** Everything under it answers with data of a person or a case: no cache (a shared proxy, a browser) keeps it. */
const API_PREFIX = '/v1'

/**
 * The answer an API gives is JSON, never a page: nothing in it may load, run or be framed. The docs page has its
 * own policy (`docs.plugin.ts`), which replaces this one on its routes.
 */
const API_CSP = {
  useDefaults: false,
  directives: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] },
}

/** Request headers a browser client sends, and answer headers it may read (DESIGN §5). */
const CORS_REQUEST_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'X-Correlation-Id', 'X-Request-Id']
const CORS_EXPOSED_HEADERS = ['ETag', 'Idempotent-Replayed', 'X-Correlation-Id', 'X-Projection-Position', 'X-Projection-Stale', 'X-Request-Id', 'Retry-After']

/**
 * Response headers for a server that answers personal data (issue 16):
 * - `@fastify/helmet`: `X-Content-Type-Options: nosniff`, `X-Frame-Options`, `Referrer-Policy: no-referrer` and the
 *   rest of its defaults, with a CSP that allows nothing (`default-src 'none'; frame-ancestors 'none'`);
 * - `Cache-Control: no-store` on every `/v1` answer, errors included: case views, timelines, history and
 *   mediation views carry names and what residents reported;
 * - `@fastify/cors` only when `CORS_ORIGINS` lists origins, and then for those exactly (no wildcard, no cookies:
 *   the API authenticates with a Bearer token). Off, a browser page of another origin cannot read any answer.
 */
const securityHeadersPlugin: FastifyPluginAsync<SecurityHeadersOptions> = async (app, { corsOrigins }) => {
  await app.register(helmet, { contentSecurityPolicy: API_CSP })
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?', 1)[0]!
    if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)) void reply.header('cache-control', 'no-store')
  })
  if (corsOrigins.length > 0) {
    await app.register(cors, {
      origin: [...corsOrigins],
      methods: ['GET', 'POST'],
      allowedHeaders: CORS_REQUEST_HEADERS,
      exposedHeaders: CORS_EXPOSED_HEADERS,
      credentials: false,
      maxAge: 600,
    })
  }
}

export default fp(securityHeadersPlugin, { name: 'pc-security-headers', fastify: '5.x' })
