import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'

/**
 * Case commands (DESIGN §5): `POST /v1/cases`, `POST /v1/cases/:id/{acknowledge,assign,…}`.
 * Placeholder: the routes arrive with the cases issue. They are registered under `/v1` behind authentication
 * (see `app.ts`), each with a zod schema for params, body, headers and responses.
 */
export const casesRoutes: FastifyPluginAsyncZod = async () => {}
