import { requireAuthentication } from '@pc/platform'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { idempotencyPlugin } from './idempotency.js'
import { casesRoutes } from './routes/cases.routes.js'
import { disclosuresRoutes } from './routes/disclosures.routes.js'
import { mediationRoutes } from './routes/mediation.routes.js'

/**
 * The command API as a plugin (fastify/demo `app.ts`): it only mounts routes. Listening, logging, errors,
 * health and auth belong to the server (`server.ts`, `@pc/platform`), so the same app can run alone or next to
 * the query API in `pnpm start`.
 *
 * Every route under `/v1` requires a Bearer token; add a context's routes to the list below.
 */
export const commandApp: FastifyPluginAsyncZod = async (app) => {
  // Command-side tables (durable Idempotency-Keys), migrated before the first command is served.
  await app.register(idempotencyPlugin)
  await app.register(
    async (v1) => {
      requireAuthentication(v1)
      await v1.register(casesRoutes)
      await v1.register(disclosuresRoutes)
      await v1.register(mediationRoutes)
    },
    { prefix: '/v1' },
  )
}
