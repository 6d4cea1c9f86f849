import type { EventStore } from '@pc/event-store'
import { createPostgresEventStore } from '@pc/event-store'
import type pg from 'pg'
import type { Config } from './config.js'
import { ConfigError } from './errors.js'

/**
 * The one place that chooses the event store adapter (DESIGN §2): EventStoreDB when `EVENTSTORE_URL` is set,
 * else the PostgreSQL adapter on the runtime's pool (its schema migrated here, before anything appends).
 */
export async function openEventStore(config: Config, pool: pg.Pool): Promise<EventStore> {
  if (config.eventStoreUrl !== undefined) {
    // Planned (EventStoreDB issue): `createEsdbEventStore({ connectionString })` plugs in here.
    throw new ConfigError(
      'configuration error: EVENTSTORE_URL is set but this build has no EventStoreDB adapter yet; unset it to use PostgreSQL',
    )
  }
  // The runtime owns the pool (shared with the read models); the adapter only borrows it.
  return createPostgresEventStore({ pool, migrate: true })
}
