import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { startProjector, type Projector, type ProjectorOptions, type ProjectorRuntime } from './projector.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The in-process projector (status of every projection). */
    projector: Projector
  }
}

export interface ProjectorPluginOptions extends ProjectorOptions {
  /** The event store, the database URL and the logger the projector runs on. */
  runtime: ProjectorRuntime
}

/**
 * Runs the projector inside a Fastify server, on the runtime it is given: started when registered,
 * stopped in `onClose`, before the runtime (owned by the process) closes. How `pnpm start` mounts it next to the
 * APIs, and how `main.ts` gives a standalone projector its health and metrics endpoints.
 */
const projectorPlugin: FastifyPluginAsync<ProjectorPluginOptions> = async (app, { runtime, ...options }) => {
  const projector = await startProjector(runtime, options)
  app.decorate('projector', projector)
  app.addHook('onClose', () => projector.stop())
}

export default fp(projectorPlugin, { name: 'pc-projector', fastify: '5.x' })
