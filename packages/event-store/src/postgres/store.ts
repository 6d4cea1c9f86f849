import pg from 'pg'
import type {
  AppendOptions,
  AppendResult,
  Checkpoint,
  DeliveredEvent,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
} from '../types.js'
import { START } from '../types.js'
import { checkAppend, checkBatchSize, checkMaxCount, streamRange } from '../validation.js'
import { connectionSurvives, isSerializationFailure, mapAppendError, mapStoreError } from './errors.js'
import { migrateEventStore } from './migrations.js'
import { createAppendNotifier, type NotifierLogger } from './notifier.js'
import {
  APPEND,
  CHECKPOINT_OF,
  READ_STREAM_BACKWARDS,
  READ_STREAM_FORWARDS,
  readAllBatch,
  toDelivered,
  type EventRow,
} from './queries.js'
import { PostgresSubscription } from './subscription.js'

export interface PostgresEventStoreOptions {
  /** Either a connection string (the adapter then owns its pool and ends it on `close`)… */
  connectionString?: string
  /** …or a pool the caller owns. */
  pool?: pg.Pool
  /** Size of the pool the adapter creates (default 10). Each live subscription holds one connection. */
  maxConnections?: number
  /** Apply the schema migrations before returning (default true). */
  migrate?: boolean
  /** Events fetched per query by `readStream`, `readAll` and catching-up subscriptions (default 500). */
  readBatchSize?: number
  /** How often a live subscription reads even without a notification (default 300 ms). */
  pollIntervalMs?: number
  /** Told (at debug level) when a wake-up notification after an append could not be sent (a pino logger fits). */
  logger?: NotifierLogger
}

export interface PostgresEventStore extends EventStore {
  /** The pool the store runs on (for health checks, tests and transactions that append with `appendInTransaction`). */
  readonly pool: pg.Pool
  /**
   * Wakes live subscribers (of every process on the database) now. `append` does this itself once its events
   * have committed; call it after committing a transaction that appended with `appendInTransaction`, or its
   * events reach live subscribers only at their next poll. Returns at once; never throws.
   */
  notifyAppended(): void
}

/** Appends a serialisation failure makes us retry before giving up; each retry runs in a fresh transaction. */
const APPEND_ATTEMPTS = 5

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.ClientBase, 'query'>

function expectedToSql(expected: ExpectedRevision): string {
  return typeof expected === 'bigint' ? expected.toString() : expected
}

async function runAppend(
  db: Queryable,
  streamId: string,
  expected: ExpectedRevision,
  events: NewEvent[],
): Promise<AppendResult> {
  const payload = JSON.stringify(
    events.map(({ eventId, type, schemaVersion, data, metadata }) => ({ eventId, type, schemaVersion, data, metadata })),
  )
  const { rows } = await db.query<{ next_revision: string; last_position: string }>({
    ...APPEND,
    values: [streamId, expectedToSql(expected), payload],
  })
  const row = rows[0]!
  return { nextExpectedRevision: BigInt(row.next_revision), position: BigInt(row.last_position) }
}

/**
 * Appends inside a transaction the caller runs on `client` (for example to write something else atomically
 * with the events). Same checks and errors as `EventStore.append`, except that a serialisation failure (SQLSTATE
 * 40001: a younger transaction appended to the stream first) is not retried here: roll back and run the
 * transaction again.
 *
 * Nothing is notified (the events are not committed yet): after the commit, call the store's `notifyAppended()`
 * so live subscribers read them at once; otherwise they find them at their next poll.
 *
 * @example
 * await client.query('begin')
 * await appendInTransaction(client, 'case-1', events, { expectedRevision: 3n })
 * await client.query('commit')
 * store.notifyAppended()
 */
export async function appendInTransaction(
  client: pg.ClientBase,
  streamId: string,
  events: NewEvent[],
  options?: AppendOptions,
): Promise<AppendResult> {
  const checked = checkAppend(streamId, events, options)
  try {
    return await runAppend(client, streamId, checked.expected, checked.events)
  } catch (error) {
    throw mapAppendError(error, streamId, checked.expected)
  }
}

/**
 * The PostgreSQL event store: one `events` table, an append function that costs one round trip, and gap-safe
 * reads of $all (see queries.ts).
 *
 * @example
 * const store = await createPostgresEventStore({ connectionString: process.env.DATABASE_URL })
 * const { nextExpectedRevision, position } = await store.append(`case-${id}`, events, { expectedRevision: 'no_stream' })
 * for await (const event of store.subscribeAll({ after: checkpoint })) await project(event)
 */
export async function createPostgresEventStore(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
  if (!options.pool && !options.connectionString) throw new TypeError('createPostgresEventStore needs a pool or a connectionString')
  const batchSize = checkBatchSize(options.readBatchSize, 500)
  const pollIntervalMs = options.pollIntervalMs ?? 300
  const owned = !options.pool
  const pool =
    options.pool ??
    new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: 10_000,
    })
  // An idle pooled connection that dies emits 'error' on the pool; unhandled, that would end the process. The
  // next query fails and is reported as StoreUnavailableError instead.
  if (owned) pool.on('error', () => undefined)

  if (options.migrate ?? true) {
    try {
      await migrateEventStore(pool)
    } catch (error) {
      if (owned) await pool.end().catch(() => undefined)
      throw mapStoreError(error)
    }
  }

  const subscriptions = new Set<PostgresSubscription>()
  const notifier = createAppendNotifier(pool, options.logger)
  let closed = false

  async function query<Row extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<Row[]> {
    try {
      return (await pool.query<Row>(config)).rows
    } catch (error) {
      throw mapStoreError(error)
    }
  }

  // Not `pool.query`: pg-pool closes the connection after any error, and a conflict is an everyday outcome of an
  // append (every one would cost a new backend and its authentication, under load dozens a second).
  async function appendOnPooled(streamId: string, expected: ExpectedRevision, events: NewEvent[]): Promise<AppendResult> {
    const client = await pool.connect()
    let broken: Error | undefined
    try {
      return await runAppend(client, streamId, expected, events)
    } catch (error) {
      if (!connectionSurvives(error)) broken = error instanceof Error ? error : new Error(String(error))
      throw error
    } finally {
      client.release(broken)
    }
  }

  async function append(streamId: string, events: NewEvent[], appendOptions?: AppendOptions): Promise<AppendResult> {
    const { expected, events: checked } = checkAppend(streamId, events, appendOptions)
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await appendOnPooled(streamId, expected, checked)
        // The append ran in autocommit, so its events are committed now: wake the live subscribers.
        notifier.notify()
        return result
      } catch (error) {
        if (isSerializationFailure(error) && attempt < APPEND_ATTEMPTS) continue
        throw mapAppendError(error, streamId, expected)
      }
    }
  }

  async function* readStream(streamId: string, readOptions?: ReadStreamOptions): AsyncGenerator<RecordedEvent> {
    const { direction, from, maxCount } = streamRange(readOptions)
    if (from === null) return
    const statement = direction === 'forwards' ? READ_STREAM_FORWARDS : READ_STREAM_BACKWARDS
    let next = from
    let remaining = maxCount
    while (remaining > 0) {
      const limit = Math.min(batchSize, remaining)
      const rows = await query<EventRow>({ ...statement, values: [streamId, next.toString(), limit] })
      for (const row of rows) {
        const { checkpoint: _checkpoint, ...event } = toDelivered(row)
        yield event
      }
      remaining -= rows.length
      if (rows.length < limit) return
      const last = BigInt(rows[rows.length - 1]!.revision)
      next = direction === 'forwards' ? last + 1n : last - 1n
      if (next < 0n) return
    }
  }

  async function* readAll(readOptions?: ReadAllOptions): AsyncGenerator<DeliveredEvent> {
    let remaining = checkMaxCount(readOptions?.maxCount)
    let cursor = readOptions?.after ?? START
    while (remaining > 0) {
      const limit = Math.min(batchSize, remaining)
      let batch
      try {
        batch = await readAllBatch(pool, cursor, readOptions?.filter, limit)
      } catch (error) {
        throw mapStoreError(error)
      }
      for (const event of batch.events) yield event
      remaining -= batch.events.length
      if (batch.events.length < limit) return
      cursor = batch.events[batch.events.length - 1]!.checkpoint
    }
  }

  return {
    pool,
    append,
    notifyAppended: () => notifier.notify(),
    readStream,
    readAll,
    subscribeAll(subscribeOptions) {
      if (closed) throw new Error('event store is closed')
      const subscription = new PostgresSubscription({
        pool,
        after: subscribeOptions?.after,
        filter: subscribeOptions?.filter,
        batchSize: checkBatchSize(subscribeOptions?.batchSize, batchSize),
        pollIntervalMs,
        onEnd: (s) => subscriptions.delete(s),
      })
      subscriptions.add(subscription)
      return subscription
    },
    async checkpointOf(position): Promise<Checkpoint | null> {
      const rows = await query<{ transaction_id: string; position: string }>({
        ...CHECKPOINT_OF,
        values: [position.toString()],
      })
      const row = rows[0]
      return row ? { txId: BigInt(row.transaction_id), position: BigInt(row.position) } : null
    },
    async ping() {
      await query({ text: 'select 1' })
    },
    async close() {
      if (closed) return
      closed = true
      await Promise.all([...subscriptions].map((s) => s.close()))
      await notifier.close()
      if (owned) await pool.end()
    },
  }
}
