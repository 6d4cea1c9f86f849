export {
  appendInTransaction,
  createPostgresEventStore,
  type PostgresEventStore,
  type PostgresEventStoreOptions,
} from './store.js'
export { migrateEventStore, migrations, NOTIFY_CHANNEL, type Migration } from './migrations.js'
export { SQLSTATE } from './errors.js'
