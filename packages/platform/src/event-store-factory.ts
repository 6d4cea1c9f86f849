import type { EventStore } from '@pc/event-store'
import { createEsdbEventStore, createPostgresEventStore } from '@pc/event-store'
import type pg from 'pg'
import type { Config } from './config.js'

/** What the factory tells about the store it opened (a pino logger fits). */
export interface EventStoreLogger {
  info(details: object, message: string): void
  warn(details: object, message: string): void
  debug(details: object, message: string): void
}

/**
 * The one place that chooses the event store adapter (DESIGN §2): EventStoreDB when `EVENTSTORE_URL` is set
 * (`esdb://host:2113?tls=false`, or the secure forms `esdb://user:pass@host:2113`, `esdb+discover://…`), else the
 * PostgreSQL adapter on the runtime's pool (its schema migrated here, before anything appends).
 *
 * The EventStoreDB adapter connects lazily: a process starts while EventStoreDB is down, answers 503 and reports
 * it on `/health/ready` until it is back, then carries on without a restart.
 */
export async function openEventStore(config: Config, pool: pg.Pool, logger?: EventStoreLogger): Promise<EventStore> {
  if (config.eventStoreUrl !== undefined) {
    // The connection string may carry credentials: log only that EventStoreDB is in use, never the URL.
    logger?.info({ eventStore: 'eventstoredb' }, 'events are stored in EventStoreDB')
    return createEsdbEventStore({ connectionString: config.eventStoreUrl, ...(logger ? { logger } : {}) })
  }
  // The runtime owns the pool (shared with the read models); the adapter only borrows it.
  return createPostgresEventStore({ pool, migrate: true, ...(logger ? { logger } : {}) })
}
