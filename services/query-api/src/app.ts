import { requireAuthentication } from '@pc/platform'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { routeOptions, type QueryAppOptions } from './options.js'
import readModelsPlugin from './read-models.plugin.js'
import { casesRoutes } from './routes/cases.routes.js'
import { disclosuresRoutes } from './routes/disclosures.routes.js'
import { metricsRoutes } from './routes/metrics.routes.js'
import { slaRoutes } from './routes/sla.routes.js'
import { ledgerRoutes } from './routes/ledger.routes.js'
import { mediationRoutes } from './routes/mediation.routes.js'

/**
 * The query API as a plugin: it only mounts routes. Listening, logging, errors, health and auth belong to the
 * server (`server.ts`, `@pc/platform`), so the same app runs alone or next to the command API in `pnpm start`.
 *
 * Every route under `/v1` requires a Bearer token; each context adds its routes file to the list below
 * (one line each, so contexts never edit each other's files). The read-model tables are migrated before any route
 * is mounted (`read-models.plugin.ts`), so the query API started alone answers from the first request.
 */
export const queryApp: FastifyPluginAsyncZod<QueryAppOptions> = async (app, options) => {
  await app.register(readModelsPlugin)
  const routes = routeOptions(options)
  await app.register(
    async (v1) => {
      requireAuthentication(v1)
      // Context route files are registered here, one line each.
      await v1.register(ledgerRoutes, routes)
      await v1.register(casesRoutes, routes)
      await v1.register(slaRoutes, routes)
      await v1.register(metricsRoutes, routes)
      await v1.register(disclosuresRoutes, routes)
      await v1.register(mediationRoutes, routes)
    },
    { prefix: '/v1' },
  )
}
