export {
  appendInTransaction,
  createPostgresEventStore,
  type PostgresEventStore,
  type PostgresEventStoreOptions,
} from './store.js'
export {
  migrateEventStore,
  migrations,
  eventStoreMigrations,
  NOTIFY_CHANNEL,
  EVENT_STORE_MIGRATION_TABLE,
  EVENT_STORE_MIGRATION_LOCK_TABLE,
  LEGACY_MIGRATION_TABLE,
  type Migration,
} from './migrations.js'
export type { NotifierLogger } from './notifier.js'
export { restoreInTransaction, type RecordedEventToRestore, type RestoreOptions, type RestoreResult } from './restore.js'
export { SQLSTATE } from './errors.js'
