export {
  appendInTransaction,
  createPostgresEventStore,
  type PostgresEventStore,
  type PostgresEventStoreOptions,
} from './store.js'
export { migrateEventStore, migrations, NOTIFY_CHANNEL, type Migration } from './migrations.js'
export type { NotifierLogger } from './notifier.js'
export { SQLSTATE } from './errors.js'
