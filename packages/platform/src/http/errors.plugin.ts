import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { PROBLEM_CONTENT_TYPE, problem, toProblem } from './problem.js'

/** The path of the request without its query string, which may carry filters we do not echo. */
function instanceOf(url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

/**
 * Answers `error` as problem details, logged by its kind. The server's error handler, and its `frameworkErrors`:
 * what Fastify refuses before routing (a malformed URL, a path parameter over its length) answers the same way.
 */
export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const mapped = toProblem(error)
  const body = { ...mapped.problem, instance: instanceOf(request.url) }
  if (mapped.kind === 'internal') {
    request.log.error({ err: error }, 'request failed with an unexpected error')
    body.detail = `an unexpected error occurred (request id ${request.id})`
  } else if (mapped.kind === 'unavailable') {
    request.log.warn({ err: error }, 'request failed: a backing service is unavailable')
  } else {
    request.log.debug({ code: body.code, errors: body.errors, rule: body.rule }, 'request refused')
  }
  if (mapped.headers) void reply.headers(mapped.headers)
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body)
}

/**
 * One error handler and one not-found handler for the whole server: everything becomes
 * `application/problem+json` (RFC 9457) with a stable `code` from `@pc/contracts`. Never a stack trace, never
 * a 500 for bad input.
 */
const errorsPlugin: FastifyPluginAsync = async (app) => {
  app.setErrorHandler(sendProblem)

  app.setNotFoundHandler((request, reply) => {
    const body = problem('NOT_FOUND', {
      detail: `no route for ${request.method} ${instanceOf(request.url)}`,
      instance: instanceOf(request.url),
    })
    return reply.code(404).type(PROBLEM_CONTENT_TYPE).send(body)
  })
}

export default fp(errorsPlugin, { name: 'pc-errors', fastify: '5.x' })
