import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { createMetricsRegistry, type MetricsRegistry } from '../metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** This server's Prometheus registry (prom-client); services add their own metrics to it. */
    metrics: MetricsRegistry
  }
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/**
 * `GET /metrics` in Prometheus text format: the process's default metrics and a request counter and duration
 * histogram by method, route and status. The route label is the route's pattern (`/v1/cases/:id`), never the raw
 * URL, so ids cannot blow up the number of series; unmatched URLs share one label.
 */
const metricsPlugin: FastifyPluginAsync = async (app) => {
  const { registry, http } = createMetricsRegistry()
  app.decorate('metrics', registry)
  app.addHook('onClose', async () => registry.clear())

  app.addHook('onResponse', async (request, reply) => {
    const route = request.is404 ? '<unmatched>' : (request.routeOptions.url ?? '<unmatched>')
    const series = { method: request.method, route, status_code: String(reply.statusCode) }
    http.requests.inc(series)
    http.duration.observe(series, reply.elapsedTime / 1000)
  })

  app.withTypeProvider<ZodTypeProvider>().get(
    '/metrics',
    {
      schema: {
        operationId: 'getMetrics',
        summary: 'Prometheus metrics',
        description: 'HTTP, projection, SLA and ledger metrics in the Prometheus text format, for a scraper; not rate limited.',
        tags: ['operations'],
        security: [],
        response: {
          200: {
            description: 'Prometheus text exposition format 0.0.4',
            content: { 'text/plain': { schema: z.string() } },
          },
        },
      },
    },
    async (_request, reply) => reply.type(METRICS_CONTENT_TYPE).send(await registry.metrics()),
  )
}

export default fp(metricsPlugin, { name: 'pc-metrics', fastify: '5.x' })
