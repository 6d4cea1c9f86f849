import { Kysely, Migrator, PostgresDialect, sql, type Migration } from 'kysely'
import pg from 'pg'
import type { Database } from './database.js'
import { readModelMigrations } from './migrations/index.js'

/** Own names, so the read models' migration history never mixes with the event store's. */
export const MIGRATION_TABLE = 'read_model_migrations'
export const MIGRATION_LOCK_TABLE = 'read_model_migrations_lock'

/**
 * A kysely instance over a pg pool for the read models.
 *
 * @example
 * const db = createReadModelDatabase({ connectionString: process.env.DATABASE_URL! })
 * await migrateReadModels(db)
 * await db.destroy()
 */
export function createReadModelDatabase(
  options:
    | { connectionString: string; max?: number; applicationName?: string; onPoolError?: (error: Error) => void }
    | { pool: pg.Pool },
): Kysely<Database> {
  let pool: pg.Pool
  if ('pool' in options) {
    pool = options.pool
  } else {
    pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.max ?? 10,
      application_name: options.applicationName ?? 'pc-read-models',
    })
    guardPool(pool, options.onPoolError)
  }
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
}

/**
 * A pg client whose server session dies emits `error`; on a client checked out by kysely (mid-transaction)
 * nobody listens and Node turns it into an uncaught exception that takes the process down. The failing query
 * rejects anyway and the pool discards the broken client on release, so the event only needs a listener.
 */
export function guardPool(pool: pg.Pool, onError: (error: Error) => void = () => {}): pg.Pool {
  pool.on('error', onError)
  pool.on('connect', (client) => client.on('error', onError))
  return pool
}

export interface MigrateOptions {
  /** Default: the connection's current schema. */
  schema?: string
  /** Default: `readModelMigrations`. Tests pass their own tables on top. */
  migrations?: Readonly<Record<string, Migration>>
}

/** Brings the read-model tables to the latest migration. */
export async function migrateReadModels(db: Kysely<Database>, options: MigrateOptions = {}): Promise<void> {
  const schema = options.schema ?? (await currentSchema(db))
  const migrations = options.migrations ?? readModelMigrations
  // The migration table's schema is always named: unnamed, kysely's "does the table exist" looks in every
  // schema and would mistake a rebuild schema's migration table for the live one (or the other way round).
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    migrationTableSchema: schema,
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName
    throw new Error(`read-model migration ${failed ?? '(setup)'} failed: ${String(error)}`, { cause: error })
  }
}

/**
 * Creates `schema` and runs every read-model migration inside it, on one connection whose search path is that
 * schema alone, so the migrations' unqualified table names land there. Used by rebuilds.
 */
export async function migrateReadModelsInto(
  db: Kysely<Database>,
  schema: string,
  migrations: Readonly<Record<string, Migration>> = readModelMigrations,
): Promise<void> {
  await sql`create schema if not exists ${sql.id(schema)}`.execute(db)
  await db.connection().execute(async (conn) => {
    await sql`select set_config('search_path', ${quoteIdent(schema)}, false)`.execute(conn)
    try {
      await migrateReadModels(conn, { schema, migrations })
    } finally {
      // The connection goes back to the pool: it must not keep the rebuild's search path.
      await sql`reset search_path`.execute(conn)
    }
  })
}

export async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db)
  const schema = rows[0]?.schema
  if (!schema) throw new Error('the connection has no current schema (empty search_path?)')
  return schema
}

/** Double-quoted identifier for places that take text rather than an identifier (search_path values). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
