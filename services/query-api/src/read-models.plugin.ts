import { migrateReadModels, type Database } from '@pc/read-models'
import { Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'

/**
 * The read models as the query API reads them: a typed kysely instance over the runtime's pool (the runtime owns
 * the pool: this view lets kysely borrow connections but never end it), with the tables brought up to the latest
 * migration before the first route answers. The projector migrates the same way; kysely's Migrator takes a lock,
 * so the two starting together is safe, and a query API started alone never answers 500 for a missing table.
 */
export async function openReadModels(pool: pg.Pool): Promise<Kysely<Database>> {
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: { connect: () => pool.connect(), end: async () => undefined } }),
  })
  await migrateReadModels(db)
  return db
}
