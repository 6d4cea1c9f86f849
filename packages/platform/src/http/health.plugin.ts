import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'

const CheckStatus = z.enum(['up', 'down'])
export const Liveness = z.object({ status: z.literal('ok') })
export const Readiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.object({ database: CheckStatus, eventStore: CheckStatus }),
})
export type Readiness = z.infer<typeof Readiness>

/** A dependency that does not answer within this is down, as far as a load balancer is concerned. */
const PING_TIMEOUT_MS = 2_000

async function check(ping: () => Promise<void>): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('ping timed out')), PING_TIMEOUT_MS)
  })
  try {
    await Promise.race([ping(), timeout])
    return 'up'
  } catch {
    return 'down'
  } finally {
    clearTimeout(timer)
  }
}

/**
 * `/health/live`: the process serves HTTP (restart it if not). `/health/ready`: the database and the event
 * store both answer (send it traffic only then); a 503 names the dependency that is down.
 */
export interface HealthPluginOptions {
  /** Throws when the database does not answer. */
  pingDatabase(): Promise<void>
  /** Throws when the event store does not answer. */
  pingEventStore(): Promise<void>
}

const healthPlugin: FastifyPluginAsync<HealthPluginOptions> = async (app, options) => {
  const routes = app.withTypeProvider<ZodTypeProvider>()
  routes.get(
    '/health/live',
    {
      schema: {
        operationId: 'getLiveness',
        summary: 'Liveness',
        description: 'The process serves HTTP; restart it if this does not answer. Checks no dependency.',
        tags: ['operations'],
        security: [],
        response: { 200: Liveness },
      },
    },
    async () => ({ status: 'ok' as const }),
  )
  routes.get(
    '/health/ready',
    {
      schema: {
        operationId: 'getReadiness',
        summary: 'Readiness: database and event store reachable',
        description: 'Send traffic only while this answers 200; a 503 names the dependency that is down.',
        tags: ['operations'],
        security: [],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (request, reply) => {
      const [database, eventStore] = await Promise.all([check(options.pingDatabase), check(options.pingEventStore)])
      const ready = database === 'up' && eventStore === 'up'
      if (!ready) request.log.warn({ database, eventStore }, 'not ready')
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks: { database, eventStore } })
    },
  )
}

export default fp(healthPlugin, { name: 'pc-health', fastify: '5.x' })
