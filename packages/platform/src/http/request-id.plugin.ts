import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'

export const REQUEST_ID_HEADER = 'x-request-id'

// A caller's id is echoed into our logs and headers: accept only short, plain tokens so it cannot forge log
// lines or smuggle header content.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * Fastify's `genReqId`: the caller's `X-Request-Id` when it is a plain token (so one id follows a request
 * through a proxy chain), else a fresh UUID.
 */
export function genReqId(request: IncomingMessage): string {
  const sent = request.headers[REQUEST_ID_HEADER]
  return typeof sent === 'string' && ACCEPTABLE_ID.test(sent) ? sent : randomUUID()
}

/** Echoes the request id on every response, errors and 404s included, so a client can quote it. */
const requestIdPlugin: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', async (request, reply) => {
    void reply.header(REQUEST_ID_HEADER, request.id)
  })
}

export default fp(requestIdPlugin, { name: 'pc-request-id', fastify: '5.x' })
