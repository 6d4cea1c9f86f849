import { requireAuthentication } from '@pc/platform'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'

/**
 * The query API as a plugin: it only mounts routes. Listening, logging, errors, health and auth belong to the
 * server (`server.ts`, `@pc/platform`), so the same app runs alone or next to the command API in `pnpm start`.
 *
 * Every route under `/v1` requires a Bearer token; each context adds its routes file to the list below
 * (one line each, so contexts never edit each other's files).
 */
export const queryApp: FastifyPluginAsyncZod = async (app) => {
  await app.register(
    async (v1) => {
      requireAuthentication(v1)
      // Context route files are registered here, one line each.
    },
    { prefix: '/v1' },
  )
}
