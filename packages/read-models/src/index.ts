export type { Database } from './database.js'
export { perEvent, type Projection } from './projection.js'
export { ensureCheckpoint, readCheckpoint, checkpointOfRow } from './checkpoints.js'
export type { CheckpointRow, FailedEvent, ProjectionStatus, ProjectionCheckpointsTable } from './checkpoint.tables.js'
export {
  createReadModelDatabase,
  guardPool,
  migrateReadModels,
  migrateReadModelsInto,
  MIGRATION_TABLE,
  MIGRATION_LOCK_TABLE,
} from './migrate.js'
export { readModelMigrations } from './migrations/index.js'
export {
  applyBatch,
  applyIsolating,
  isTransientError,
  CheckpointMovedError,
  ProjectionEventError,
} from './apply.js'
export { acquireLease, type Lease, type AcquireLeaseOptions } from './lease.js'
export {
  ProjectionRunner,
  type ProjectionRunnerOptions,
  type ProjectionState,
  type ProjectionStatusReport,
} from './runner.js'
export {
  rebuildProjection,
  rebuildProjections,
  rebuildSchemaName,
  RebuildInProgressError,
  type RebuildOptions,
  type RebuildResult,
} from './rebuild.js'
export { waitForProjections, projectionsReached, projectionPosition, type WaitForOptions } from './wait-for.js'
export { silentLogger, type ProjectorLogger } from './logger.js'
export * from './cases/index.js'
export * from './ledger/index.js'
export * from './mediation/index.js'
export * from './disclosures/index.js'
export { selectProjections } from './projections.js'
