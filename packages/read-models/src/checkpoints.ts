import { sql, type Kysely, type Transaction } from 'kysely'
import { START, type Checkpoint } from '@pc/event-store'
import type { CheckpointRow, FailedEvent } from './checkpoint.tables.js'
import type { Database } from './database.js'

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
