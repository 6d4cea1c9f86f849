import { migrateReadModels, type Database } from '@pc/read-models'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { Kysely, PostgresDialect } from 'kysely'

declare module 'fastify' {
  interface FastifyInstance {
    /** The read models, typed, on the runtime's pool. */
    readModels: Kysely<Database>
  }
}

/**
 * The read models as the query API reads them: a typed kysely instance over the runtime's pool, with the tables
 * brought up to the latest migration before the first route answers. The projector migrates the same way
 * (`migrateReadModels`); kysely's Migrator takes a lock, so the two starting together is safe, and a query API
 * started alone never answers 500 for a table that does not exist yet.
 */
const readModelsPlugin: FastifyPluginAsync = async (app) => {
  const { pool } = app.runtime
  // The runtime owns the pool: this view of it lets kysely borrow connections but never end it.
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: { connect: () => pool.connect(), end: async () => undefined } }),
  })
  await migrateReadModels(db)
  app.decorate('readModels', db)
  app.addHook('onClose', () => db.destroy())
}

export default fp(readModelsPlugin, { name: 'pc-read-models', fastify: '5.x', dependencies: ['pc-runtime'] })
