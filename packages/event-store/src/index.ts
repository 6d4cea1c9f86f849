/**
 * The event store port (DESIGN §3), its adapters and helpers.
 *
 * @example
 * import { createPostgresEventStore, WrongExpectedRevisionError } from '@pc/event-store'
 * const store = await createPostgresEventStore({ connectionString: url })
 */
export * from './types.js'
export * from './errors.js'
export { createMemoryEventStore, type MemoryEventStore } from './memory.js'
export * from './postgres/index.js'
