import { ForbiddenError } from '@pc/contracts'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest, preValidationAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { UnauthenticatedError } from '../errors.js'
import type { Role } from '../roles.js'
import { TokenVerifier, type AuthenticatedActor } from '../tokens.js'
import type { AuthFailureGate } from './rate-limit.plugin.js'

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
  /**
   * Failed authentications per address (`app.authFailures` of the rate-limit plugin); unset means no such limit.
   * While an address is held back, its requests answer 429 before their token is checked, unless the token is one
   * this server already verified (someone else behind the same address who was signed in keeps working).
   */
  failures?: AuthFailureGate | undefined
}

const BEARER = /^Bearer\s+(\S+)\s*$/i

const authPlugin: FastifyPluginAsync<AuthPluginOptions> = async (app, { secrets, failures }) => {
  const verifier = new TokenVerifier(secrets)
  app.addHook('onClose', async () => verifier.clear())
  app.decorateRequest('actor', null)

  async function verify(header: string | undefined): Promise<AuthenticatedActor> {
    if (header === undefined) throw new UnauthenticatedError('missing Authorization: Bearer token')
    const match = BEARER.exec(header)
    if (!match?.[1]) throw new UnauthenticatedError('the Authorization header is not a Bearer token')
    return verifier.verify(match[1])
  }

  app.decorate('authenticate', async (request: FastifyRequest) => {
    if (request.actor) return
    const header = request.headers.authorization
    if (failures === undefined) {
      request.actor = await verify(header)
      return
    }
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1]
    if (token === undefined || !verifier.knows(token)) await failures.admit(request)
    try {
      request.actor = await verify(header)
    } catch (error) {
      if (error instanceof UnauthenticatedError) await failures.failed(request)
      throw error
    }
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
 * A `preValidation` hook admitting callers that hold at least one of `roles` (403 `FORBIDDEN` otherwise); it
 * authenticates first when nothing has yet. Use it as `preValidation`, not `preHandler`: it then runs before the
 * params, query and body are validated, so a caller without the role gets 403 and never a 400 that would teach
 * them the route's shape.
 *
 * @example
 * app.post('/cases/:id/assign', { preValidation: requireRoles('staff', 'manager'), schema }, handler)
 */
export function requireRoles(...roles: Role[]): preValidationAsyncHookHandler & { readonly roles: readonly Role[] } {
  const hook: preValidationAsyncHookHandler = async (request) => {
    await request.server.authenticate(request)
    const actor = actorOf(request)
    if (!actor.roles.some((role) => roles.includes(role))) {
      throw new ForbiddenError(`this needs one of the roles: ${roles.join(', ')}`)
    }
  }
  // The OpenAPI document names them in the route's description and documents its 403.
  return Object.assign(hook, { roles })
}

/** The verified caller of a protected route. Throws (401) if the route was left unprotected by mistake. */
export function actorOf(request: FastifyRequest): AuthenticatedActor {
  if (!request.actor) throw new UnauthenticatedError('this route requires a Bearer token')
  return request.actor
}
