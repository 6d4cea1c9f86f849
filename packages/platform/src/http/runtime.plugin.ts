import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { Runtime } from '../runtime.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The process runtime: `db`, `eventStore`, `config`. */
    runtime: Runtime
  }
}

export interface RuntimePluginOptions {
  runtime: Runtime
}

/**
 * Makes the runtime reachable from every route as `app.runtime`. The server does not own it: the process that
 * opened the runtime closes it after the server has closed (so in-flight requests finish against a live
 * database), which is why there is no `onClose` here.
 */
const runtimePlugin: FastifyPluginAsync<RuntimePluginOptions> = async (app, { runtime }) => {
  app.decorate('runtime', runtime)
}

export default fp(runtimePlugin, { name: 'pc-runtime', fastify: '5.x' })
