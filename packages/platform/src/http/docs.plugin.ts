import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { jsonSchemaTransform } from 'fastify-type-provider-zod'

export interface DocsPluginOptions {
  title?: string
  version?: string
}

/**
 * OpenAPI 3 generated from the routes' zod schemas, served at `/docs` (UI) and `/docs/json`. Register it
 * before any route: it collects routes as they are added.
 */
const docsPlugin: FastifyPluginAsync<DocsPluginOptions> = async (app, options) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: options.title ?? 'Property community cases API',
        description: 'Event-sourced case management for residential property communities (物业管理).',
        version: options.version ?? '0.1.0',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    transform: jsonSchemaTransform,
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // The UI's own policy (its scripts and styles, by hash), replacing the API's `default-src 'none'` on these
    // routes: the page may not be framed by anyone, and it is served over plain HTTP on loopback, where upgrading
    // its requests to HTTPS would break it.
    staticCSP: true,
    transformStaticCSP: (header) =>
      header
        .replace("frame-ancestors 'self'", "frame-ancestors 'none'")
        .replace(/\s*upgrade-insecure-requests;?/, ''),
  })
}

export default fp(docsPlugin, { name: 'pc-docs', fastify: '5.x' })
