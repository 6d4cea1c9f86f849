import { ForbiddenError } from '@pc/contracts'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { UnauthenticatedError } from '../errors.js'
import type { Role } from '../roles.js'
import { TokenVerifier, type AuthenticatedActor } from '../tokens.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller; null until `authenticate` ran (routes outside `/v1` are public). */
    actor: AuthenticatedActor | null
  }
  interface FastifyInstance {
    /** Verifies `Authorization: Bearer <JWT>` and sets `request.actor`, or throws `UnauthenticatedError`. */
    authenticate(request: FastifyRequest): Promise<void>
  }
}

export interface AuthPluginOptions {
  /** The HS256 secrets tokens may be signed with, the current one first (`runtime.jwtSecrets`). */
  secrets: readonly string[]
}

const BEARER = /^Bearer\s+(\S+)\s*$/i

const authPlugin: FastifyPluginAsync<AuthPluginOptions> = async (app, { secrets }) => {
  const verifier = new TokenVerifier(secrets)
  app.addHook('onClose', async () => verifier.clear())
  app.decorateRequest('actor', null)
  app.decorate('authenticate', async (request: FastifyRequest) => {
    if (request.actor) return
    const header = request.headers.authorization
    if (header === undefined) throw new UnauthenticatedError('missing Authorization: Bearer token')
    const match = BEARER.exec(header)
    if (!match?.[1]) throw new UnauthenticatedError('the Authorization header is not a Bearer token')
    request.actor = await verifier.verify(match[1])
  })
}

export default fp(authPlugin, { name: 'pc-auth', fastify: '5.x' })

/**
 * Protects every route registered after it in the calling (encapsulated) plugin: each request must carry a
 * valid token, and the OpenAPI document marks those routes as needing one.
 *
 * @example
 * await app.register(async (v1) => {
 *   requireAuthentication(v1)
 *   await v1.register(casesRoutes)
 * }, { prefix: '/v1' })
 */
export function requireAuthentication(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    await app.authenticate(request)
  })
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: [{ bearerAuth: [] }] }
  })
}

/**
 * A `preHandler` admitting callers that hold at least one of `roles` (403 `FORBIDDEN` otherwise); it
 * authenticates first when nothing has yet.
 *
 * @example
 * app.post('/cases/:id/assign', { preHandler: requireRoles('staff', 'manager'), schema }, handler)
 */
export function requireRoles(...roles: Role[]): preHandlerAsyncHookHandler {
  return async (request) => {
    await request.server.authenticate(request)
    const actor = actorOf(request)
    if (!actor.roles.some((role) => roles.includes(role))) {
      throw new ForbiddenError(`this needs one of the roles: ${roles.join(', ')}`)
    }
  }
}

/** The verified caller of a protected route. Throws (401) if the route was left unprotected by mistake. */
export function actorOf(request: FastifyRequest): AuthenticatedActor {
  if (!request.actor) throw new UnauthenticatedError('this route requires a Bearer token')
  return request.actor
}
