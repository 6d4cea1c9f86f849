import { contexts as allContexts, WAIT_FOR_TIMEOUT_MS, type AnyContext, type QueryDeps } from '@pc/contexts'
import type { EventStore } from '@pc/event-store'
import type { PersonalDataVault } from '@pc/personal-data'
import { problemResponses, type ProblemStatus } from '@pc/contracts'
import { requireAuthentication, type Config, type HeaderDoc } from '@pc/platform'
import type { FastifySchema, RouteOptions } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type pg from 'pg'
import { openReadModels } from './read-models.plugin.js'

/** What every query's answer carries in headers (`readAt`, read your writes). */
const QUERY_HEADERS: Readonly<Record<string, HeaderDoc>> = {
  'X-Projection-Position': {
    description: 'How far the read models behind this answer had got (a decimal global position): the answer shows at least that.',
    schema: { type: 'string', pattern: '^(0|[1-9][0-9]*)$' },
    required: true,
  },
  'X-Projection-Stale': {
    description: '`true` when `waitFor` was not reached in time: the answer may not show that write yet; retry.',
    schema: { type: 'string', enum: ['true'] },
  },
}

const QUERY_DESCRIPTION =
  'A query, answered from the read models (or the event store, for history and raw events). Pass a position a ' +
  'command answered with as `waitFor` to read your own write; `X-Projection-Position` says how far the answer goes.'

/**
 * What the OpenAPI document says of a query route that its definition leaves to the query API: the context's tag
 * when it names none, the headers every query answers with, and the problems every query may answer — a bad
 * parameter, no token, a role it lacks (only where `requireRoles` restricts it), a thing not there (only with path
 * parameters), the rate limit, the database down.
 */
function documentQuery(route: RouteOptions, context: AnyContext): FastifySchema {
  const schema = route.schema ?? {}
  const restricted = [route.preValidation ?? []].flat().some((hook) => 'roles' in hook)
  const statuses: ProblemStatus[] = [400, 401, ...(restricted ? [403 as const] : []), ...(schema.params ? [404 as const] : []), 429, 503]
  return {
    ...schema,
    tags: schema.tags ?? [context.name],
    description: schema.description ?? QUERY_DESCRIPTION,
    responseHeaders: { ...QUERY_HEADERS, ...schema.responseHeaders },
    response: { ...problemResponses(statuses), ...(schema.response as object) },
  }
}

/** What a process (or a test) gives the query API. */
export interface QueryAppOptions {
  /** The pool the read models are read through (the runtime's). */
  pool: pg.Pool
  store: EventStore
  config: Config
  vault: PersonalDataVault
  /** The clock SLA time-left and overdue are measured with (default: the system clock). Tests move it. */
  now?: () => Date
  /** How long `waitFor` waits before answering anyway (default 5 s, DESIGN §5). */
  waitForTimeoutMs?: number
  /** Default: every context (`@pc/contexts`). */
  contexts?: readonly AnyContext[]
}

/**
 * The query API as a plugin: it only mounts every context's query routes under `/v1`, behind a Bearer token.
 * Listening, logging, errors, health and auth belong to the server (`server.ts`, `@pc/platform`), so the same app
 * runs alone or next to the command API in `pnpm start`. The read-model tables are migrated before any route is
 * mounted, so the query API started alone answers from the first request.
 */
export const queryApp: FastifyPluginAsyncZod<QueryAppOptions> = async (app, options) => {
  const db = await openReadModels(options.pool)
  app.addHook('onClose', () => db.destroy())
  const deps: QueryDeps = {
    db,
    store: options.store,
    config: options.config,
    vault: options.vault,
    now: options.now ?? (() => new Date()),
    waitForTimeoutMs: options.waitForTimeoutMs ?? WAIT_FOR_TIMEOUT_MS,
  }
  await app.register(
    async (v1) => {
      requireAuthentication(v1)
      for (const context of options.contexts ?? allContexts) {
        app.describeTag(context.name, context.description)
        for (const [tag, description] of Object.entries(context.tags ?? {})) app.describeTag(tag, description)
        if (!context.queries) continue
        await v1.register(async (scope) => {
          scope.addHook('onRoute', (route) => {
            route.schema = documentQuery(route, context)
          })
          await scope.register(context.queries!, deps)
        })
      }
    },
    { prefix: '/v1' },
  )
}
