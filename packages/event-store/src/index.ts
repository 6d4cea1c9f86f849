/**
 * The event store port (DESIGN §3), its adapters and helpers.
 *
 * @example
 * import { createEsdbEventStore, createPostgresEventStore, WrongExpectedRevisionError } from '@pc/event-store'
 * const store = await createPostgresEventStore({ connectionString: url })
 * const esdb = createEsdbEventStore({ connectionString: 'esdb://localhost:2113?tls=false' })
 */
export * from './types.js'
export * from './errors.js'
export { createMemoryEventStore, type MemoryEventStore } from './memory.js'
export * from './postgres/index.js'
export * from './command-handler.js'
export * from './stream-cache.js'
export * from './esdb/index.js'
