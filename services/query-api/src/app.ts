import { contexts as allContexts, WAIT_FOR_TIMEOUT_MS, type AnyContext, type QueryDeps } from '@pc/contexts'
import type { EventStore } from '@pc/event-store'
import type { PersonalDataVault } from '@pc/personal-data'
import { requireAuthentication, type Config } from '@pc/platform'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type pg from 'pg'
import { openReadModels } from './read-models.plugin.js'

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
        if (!context.queries) continue
        // A route without tags is filed under its context in the OpenAPI document.
        await v1.register(async (scope) => {
          scope.addHook('onRoute', (route) => {
            route.schema = { ...route.schema, tags: route.schema?.tags ?? [context.name] }
          })
          await scope.register(context.queries!, deps)
        })
      }
    },
    { prefix: '/v1' },
  )
}
