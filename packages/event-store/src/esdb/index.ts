/** The EventStoreDB (KurrentDB) adapter of the event store port. See infra/eventstoredb.md. */
export { createEsdbEventStore, type EsdbEventStoreOptions } from './esdb.adapter.js'
