import pg from 'pg'
import { sql, type Kysely, type Migration, type Transaction } from 'kysely'
import { testDatabase } from '@pc/postgres/testing'
import { createPostgresEventStore, type DeliveredEvent, type PostgresEventStore } from '@pc/event-store'
import {
  createReadModelDatabase,
  migrateReadModels,
  readModelMigrations,
  type Database,
  type Projection,
} from '../../src/index.js'

interface Tap {
  teardown(fn: () => unknown): void
}

/** Tables of the test projection: one row per application (duplicates would show) and a per-stream fold. */
export const testMigrations: Readonly<Record<string, Migration>> = {
  ...readModelMigrations,
  '9001-test-projection': {
    async up(db: Kysely<unknown>) {
      await sql`create table test_applied (
        event_id text not null, stream_id text not null, position bigint not null, type text not null, tag text not null)`.execute(db)
      await sql`create table test_streams (
        stream_id text primary key, events integer not null, last_type text not null, last_position bigint not null)`.execute(db)
      await sql`create index test_streams_last_type_idx on test_streams (last_type)`.execute(db)
    },
  },
}

export interface TestProjectionOptions {
  name?: string
  version?: number
  /** Written into every `test_applied` row: which runner applied it. */
  tag?: string
  /** Runs before each event is applied (tests throw or kill the connection here). */
  before?: (trx: Transaction<Database>, event: DeliveredEvent) => Promise<void>
}

export function testProjection(options: TestProjectionOptions = {}): Projection {
  const tag = options.tag ?? 'a'
  return {
    name: options.name ?? 'test',
    version: options.version ?? 1,
    tables: ['test_applied', 'test_streams'],
    filter: { streamPrefix: ['thing-'] },
    async handle(trx, events) {
      for (const event of events) {
        await options.before?.(trx, event)
        await sql`insert into test_applied (event_id, stream_id, position, type, tag)
          values (${event.eventId}, ${event.streamId}, ${event.position}, ${event.type}, ${tag})`.execute(trx)
        await sql`insert into test_streams (stream_id, events, last_type, last_position)
          values (${event.streamId}, 1, ${event.type}, ${event.position})
          on conflict (stream_id) do update set events = test_streams.events + 1,
            last_type = excluded.last_type, last_position = excluded.last_position`.execute(trx)
      }
    },
  }
}

export interface Harness {
  url: string
  db: Kysely<Database>
  store: PostgresEventStore
}

export async function harness(t: Tap): Promise<Harness> {
  const { url, name } = await testDatabase(t)
  // Commits need not wait for the disk here: these tests kill processes and connections, never the server, and
  // a few thousand fsyncs would otherwise dominate their run time.
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query(`alter database ${name} set synchronous_commit = off`)
  await admin.end()
  // The event store and the read models share one database, as in the embedded default.
  const store = await createPostgresEventStore({ connectionString: url, pollIntervalMs: 50 })
  const db = createReadModelDatabase({ connectionString: url, max: 8 })
  t.teardown(async () => {
    await db.destroy()
    await store.close()
  })
  await migrateReadModels(db, { migrations: testMigrations })
  return { url, db, store }
}

export async function rows<T>(db: Kysely<Database>, query: string): Promise<T[]> {
  const result = await sql.raw<T>(query).execute(db)
  return result.rows
}

/** Polls until `check` holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, 20))
  }
  return check()
}
