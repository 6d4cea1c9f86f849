import { requireAuthentication } from '@pc/platform'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { casesRoutes } from './routes/cases.routes.js'

/**
 * The command API as a plugin (fastify/demo `app.ts`): it only mounts routes. Listening, logging, errors,
 * health and auth belong to the server (`server.ts`, `@pc/platform`), so the same app can run alone or next to
 * the query API in `pnpm start`.
 *
 * Every route under `/v1` requires a Bearer token; add a context's routes to the list below.
 */
export const commandApp: FastifyPluginAsyncZod = async (app) => {
  await app.register(
    async (v1) => {
      requireAuthentication(v1)
      await v1.register(casesRoutes)
    },
    { prefix: '/v1' },
  )
}
