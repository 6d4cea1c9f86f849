import type { ColumnType, Selectable } from 'kysely'

/** The event a projection stopped on, as recorded in `projection_checkpoints.error` and in the log. */
export interface FailedEvent {
  eventId: string
  streamId: string
  /** Decimal strings: bigints never travel through JSON as numbers. */
  revision: string
  position: string
  type: string
  message: string
}

export type ProjectionStatus = 'active' | 'failed'

/**
 * One row per projection: where it stands in delivery order. The row is updated in the same transaction as the
 * read-model change it describes, and every batch locks it first, so it is also the point that serializes a
 * runner against a rebuild's swap (see `applyBatch`).
 */
export interface ProjectionCheckpointsTable {
  name: string
  /** The projection's code version the rows were built with; a different version triggers a rebuild. */
  version: number
  /** int8 columns come back from pg as decimal strings; convert with `BigInt`. */
  tx_id: ColumnType<string, bigint | string, bigint | string>
  position: ColumnType<string, bigint | string, bigint | string>
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
  status: ColumnType<ProjectionStatus, ProjectionStatus | undefined, ProjectionStatus>
  error: ColumnType<FailedEvent | null, string | null | undefined, string | null>
}

export interface CheckpointsDatabase {
  projection_checkpoints: ProjectionCheckpointsTable
}

export type CheckpointRow = Selectable<ProjectionCheckpointsTable>
