import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import { RateLimitedError } from '@pc/contracts'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** Failed authentications per IP address, for the auth plugin; undefined when that limit is off. */
    authFailures: AuthFailureGate | undefined
  }
}

/** What the auth plugin asks before it checks a token, and tells when a token did not verify. */
export interface AuthFailureGate {
  /** Throws `RateLimitedError` when the caller's address has used up its failed authentications for the window. */
  admit(request: FastifyRequest): Promise<void>
  /** Counts one failed authentication (a 401) against the caller's address. */
  failed(request: FastifyRequest): Promise<void>
}

export interface RateLimitPluginOptions {
  /** Requests per minute per user (a verified token's `sub`) or, without one, per IP address; 0 is no limit. */
  perMinute: number
  /** Failed authentications per minute per IP address; 0 is no limit. */
  authFailuresPerMinute: number
}

const WINDOW_MS = 60_000
/** Callers counted at once per limit; the one seen least recently is dropped first (and starts over). */
const TRACKED_CALLERS = 10_000
/** Probes and scrapers poll on a schedule and must keep working while a user is held back. */
export const UNLIMITED_ROUTE = /^\/(health\/|metrics$)/

/**
 * Who a request counts against. Routes under `/v1` authenticate in their scope's `onRequest` hook, which runs before
 * the limiter's route-level one, so a verified caller is counted by user: one user's flood cannot use up another's
 * requests, also behind a shared address. Without a verified token (the docs, a public route) it is the address,
 * IPv6 by its /64 as @fastify/rate-limit does.
 */
function callerKey(request: FastifyRequest): string {
  return request.actor ? `user:${request.actor.id}` : `ip:${normalizeIP(request.ip)}`
}

/**
 * Rate limits through `@fastify/rate-limit` (in memory, per process): every route registered after this plugin is
 * limited per caller (`perMinute`), except `/health/*` and `/metrics`; over the limit answers 429 `RATE_LIMITED` with
 * `Retry-After`, and every limited answer carries the draft standard `RateLimit-Limit`, `RateLimit-Remaining` and
 * `RateLimit-Reset`. A stricter budget of failed authentications per address (`authFailuresPerMinute`) is kept for
 * the auth plugin as `app.authFailures`.
 *
 * @example
 * await app.register(rateLimitPlugin, { perMinute: 6000, authFailuresPerMinute: 30 })
 * await app.register(authPlugin, { secrets, failures: app.authFailures })
 */
const rateLimitPlugin: FastifyPluginAsync<RateLimitPluginOptions> = async (app, { perMinute, authFailuresPerMinute }) => {
  await app.register(rateLimit, {
    global: perMinute > 0,
    max: perMinute,
    timeWindow: WINDOW_MS,
    cache: TRACKED_CALLERS,
    enableDraftSpec: true,
    keyGenerator: callerKey,
    allowList: (request) => UNLIMITED_ROUTE.test(request.routeOptions.url ?? ''),
    errorResponseBuilder: (_request, context) =>
      new RateLimitedError(`too many requests: ${context.max} a minute; retry in ${context.after}`, context.max, Math.ceil(context.ttl / 1000)),
  })

  if (authFailuresPerMinute === 0) {
    app.decorate('authFailures', undefined)
    return
  }
  const failures = app.createRateLimit({
    max: authFailuresPerMinute,
    timeWindow: WINDOW_MS,
    keyGenerator: (request) => `auth-failures:${normalizeIP(request.ip)}`,
    allowList: [],
  })
  app.decorate('authFailures', {
    async admit(request) {
      const state = await failures(request, { increment: false })
      if (state.isAllowed || state.remaining > 0) return
      throw new RateLimitedError(
        `too many failed authentications from this address: ${state.max} a minute; retry in ${state.ttlInSeconds} s`,
        state.max,
        state.ttlInSeconds,
      )
    },
    async failed(request) {
      await failures(request)
    },
  } satisfies AuthFailureGate)
}

export default fp(rateLimitPlugin, { name: 'pc-rate-limit', fastify: '5.x' })
