import { contexts as allContexts, type AnyContext } from '@pc/contexts'
import type { EventStore } from '@pc/event-store'
import type { PersonalDataVault } from '@pc/personal-data'
import { requireAuthentication, type Config, type DatabaseTables } from '@pc/platform'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Kysely } from 'kysely'
import { commandRoute } from './command-route.js'
import { CommandStreams } from './command-streams.js'
import { migrateCommandApi } from './idempotency.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The command app's folded-stream caches and per-stream queue (`command-streams.ts`). */
    commandStreams: CommandStreams
  }
}

export interface CommandAppOptions {
  /** Where the command side's own tables (durable Idempotency-Keys) live. */
  db: Kysely<DatabaseTables>
  store: EventStore
  config: Config
  /** Seals the personal fields of commands (DESIGN §7). */
  vault: PersonalDataVault
  /** Default: every context (`@pc/contexts`). */
  contexts?: readonly AnyContext[]
}

/**
 * The command API as a plugin (fastify/demo `app.ts`): it only mounts routes, one per command spec of every
 * context, all through the one `commandRoute`. Listening, logging, errors, health and auth belong to the server
 * (`server.ts`, `@pc/platform`), so the same app can run alone or next to the query API in `pnpm start`.
 */
export const commandApp: FastifyPluginAsyncZod<CommandAppOptions> = async (app, options) => {
  // Command-side tables, migrated before the first command is served.
  await migrateCommandApi(options.db)
  app.decorate('commandStreams', new CommandStreams())
  app.addHook('onClose', async () => app.commandStreams.clear())
  const deps = { db: options.db, store: options.store, config: options.config, vault: options.vault, streams: app.commandStreams }
  await app.register(
    async (v1) => {
      requireAuthentication(v1)
      for (const context of options.contexts ?? allContexts) {
        app.describeTag(context.name, context.description)
        for (const spec of context.commands) commandRoute(v1, context, spec, deps)
      }
    },
    { prefix: '/v1' },
  )
}
