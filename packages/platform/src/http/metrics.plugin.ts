import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { MetricsRegistry } from '../metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The process's Prometheus registry; services add their own metrics to it. */
    metrics: MetricsRegistry
  }
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/**
 * `GET /metrics` in Prometheus text format, with a request counter and a duration histogram by method, route
 * and status. The route label is the route's pattern (`/v1/cases/:id`), never the raw URL, so ids cannot blow
 * up the number of series; unmatched URLs share one label.
 */
const metricsPlugin: FastifyPluginAsync = async (app) => {
  const metrics = new MetricsRegistry()
  const labels = ['method', 'route', 'status_code']
  const requests = metrics.counter('http_requests_total', 'HTTP requests answered', labels)
  const duration = metrics.histogram('http_request_duration_seconds', 'Time to answer HTTP requests', labels)
  const started = Date.now()
  metrics.gauge('process_uptime_seconds', 'Seconds since the process started serving', () => (Date.now() - started) / 1000)
  metrics.gauge('process_resident_memory_bytes', 'Resident memory size', () => process.memoryUsage.rss())
  metrics.gauge('nodejs_heap_used_bytes', 'V8 heap in use', () => process.memoryUsage().heapUsed)
  app.decorate('metrics', metrics)

  app.addHook('onResponse', async (request, reply) => {
    const route = request.is404 ? '<unmatched>' : (request.routeOptions.url ?? '<unmatched>')
    const series = { method: request.method, route, status_code: String(reply.statusCode) }
    requests.inc(series)
    duration.observe(series, reply.elapsedTime / 1000)
  })

  app.withTypeProvider<ZodTypeProvider>().get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        tags: ['operations'],
        response: {
          200: {
            description: 'Prometheus text exposition format 0.0.4',
            content: { 'text/plain': { schema: z.string() } },
          },
        },
      },
    },
    async (_request, reply) => reply.type(METRICS_CONTENT_TYPE).send(metrics.render()),
  )
}

export default fp(metricsPlugin, { name: 'pc-metrics', fastify: '5.x' })
