import { sql, type ColumnType, type Kysely, type Selectable, type Transaction } from 'kysely'
import { START, type Checkpoint } from '@pc/event-store'
import type { Database } from './database.js'

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

type Db = Kysely<Database>

export function checkpointOfRow(row: Pick<CheckpointRow, 'tx_id' | 'position'>): Checkpoint {
  return { txId: BigInt(row.tx_id), position: BigInt(row.position) }
}

/** Creates the projection's row at the start of the log if it has none yet; returns the row. */
export async function ensureCheckpoint(db: Db, name: string, version: number): Promise<CheckpointRow> {
  await db
    .insertInto('projection_checkpoints')
    .values({ name, version, tx_id: START.txId, position: START.position })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute()
  return db.selectFrom('projection_checkpoints').selectAll().where('name', '=', name).executeTakeFirstOrThrow()
}

export async function readCheckpoint(db: Db, name: string): Promise<CheckpointRow | undefined> {
  return db.selectFrom('projection_checkpoints').selectAll().where('name', '=', name).executeTakeFirst()
}

/** Locks the row until the transaction ends; every writer of a projection's tables takes this lock first. */
export async function lockCheckpoint(trx: Transaction<Database>, name: string): Promise<CheckpointRow | undefined> {
  return trx.selectFrom('projection_checkpoints').selectAll().where('name', '=', name).forUpdate().executeTakeFirst()
}

export async function moveCheckpoint(
  trx: Transaction<Database>,
  name: string,
  checkpoint: Checkpoint,
  extra: { version?: number } = {},
): Promise<void> {
  await trx
    .updateTable('projection_checkpoints')
    .set({
      tx_id: checkpoint.txId,
      position: checkpoint.position,
      updated_at: sql<Date>`now()`,
      status: 'active',
      error: null,
      ...(extra.version === undefined ? {} : { version: extra.version }),
    })
    .where('name', '=', name)
    .execute()
}

export async function markFailed(db: Db, name: string, failure: FailedEvent): Promise<void> {
  await db
    .updateTable('projection_checkpoints')
    .set({ status: 'failed', error: JSON.stringify(failure), updated_at: sql<Date>`now()` })
    .where('name', '=', name)
    .execute()
}
