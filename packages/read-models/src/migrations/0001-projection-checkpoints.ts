import { sql, type Kysely, type Migration } from 'kysely'

/** Where every projection stands; see `ProjectionCheckpointsTable`. */
export const projectionCheckpoints: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('projection_checkpoints')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('tx_id', 'bigint', (c) => c.notNull())
      .addColumn('position', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('status', 'text', (c) => c.notNull().defaultTo('active').check(sql`status in ('active', 'failed')`))
      .addColumn('error', 'jsonb')
      .execute()
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('projection_checkpoints').execute()
  },
}
