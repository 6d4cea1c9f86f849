import { sql, type Kysely, type Transaction } from 'kysely'
import { compareCheckpoints, checkpointToString, matchesFilter, type Checkpoint, type DeliveredEvent } from '@pc/event-store'
import type { FailedEvent } from './checkpoint.tables.js'
import { checkpointOfRow, lockCheckpoint, moveCheckpoint } from './checkpoints.js'
import type { Database } from './database.js'
import { quoteIdent } from './migrate.js'
import type { Projection } from './projection.js'

/**
 * The stored checkpoint is not where this writer believed it was: another runner (a lost lease not yet noticed)
 * or a rebuild's swap moved it. The batch is rolled back; the writer re-reads the checkpoint and resubscribes.
 */
export class CheckpointMovedError extends Error {
  override readonly name = 'CheckpointMovedError'
  constructor(
    readonly projection: string,
    readonly expected: Checkpoint,
    readonly actual: Checkpoint | null,
  ) {
    super(
      `projection ${projection}: checkpoint moved (expected ${checkpointToString(expected)}, ` +
        `found ${actual ? checkpointToString(actual) : 'no row'})`,
    )
  }
}

/** A projection's handler failed on one event. The projection stops there; the event is never skipped. */
export class ProjectionEventError extends Error {
  override readonly name = 'ProjectionEventError'
  readonly failure: FailedEvent
  constructor(
    readonly projection: string,
    event: DeliveredEvent,
    cause: unknown,
  ) {
    const message = cause instanceof Error ? cause.message : String(cause)
    super(
      `projection ${projection} failed on event ${event.eventId} (${event.type}, stream ${event.streamId} ` +
        `revision ${event.revision}, position ${event.position}): ${message}`,
      { cause },
    )
    this.failure = {
      eventId: event.eventId,
      streamId: event.streamId,
      revision: event.revision.toString(),
      position: event.position.toString(),
      type: event.type,
      message,
    }
  }
}

const TRANSIENT_NODE_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN'])

/**
 * Errors that say nothing about the event being applied: the database went away, the connection was killed,
 * a serialization conflict or deadlock. The runner retries these instead of stopping the projection.
 */
export function isTransientError(error: unknown): boolean {
  if (error instanceof CheckpointMovedError) return true
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') {
    if (TRANSIENT_NODE_CODES.has(code)) return true
    // Class 08 connection exceptions, 57P0x operator intervention (terminated backend, shutdown),
    // 53xxx insufficient resources, 40001 serialization failure, 40P01 deadlock.
    if (code.startsWith('08') || code.startsWith('57P0') || code.startsWith('53') || code === '40001' || code === '40P01') {
      return true
    }
  }
  return /Connection terminated|connection (is )?closed|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
    error.message,
  )
}

export interface ApplyTarget {
  /** Apply to the tables of this schema instead of the live ones (a rebuild's fresh schema). */
  schema?: string
}

/**
 * Applies a batch and moves the checkpoint past its last event in ONE transaction.
 *
 * The checkpoint row is locked first and compared with what the caller last committed: the row lock
 * serializes this writer with any other (a runner whose lease silently lapsed, a rebuild swapping tables in),
 * and the comparison makes the loser roll back instead of applying events twice.
 */
export async function applyBatch(
  db: Kysely<Database>,
  projection: Projection,
  events: readonly DeliveredEvent[],
  expected: Checkpoint,
  target: ApplyTarget = {},
): Promise<Checkpoint> {
  const last = events.at(-1)
  if (!last) return expected
  await db.transaction().execute(async (trx) => {
    if (target.schema) await setLocalSearchPath(trx, target.schema)
    const row = await lockCheckpoint(trx, projection.name)
    const stored = row ? checkpointOfRow(row) : null
    if (!stored || compareCheckpoints(stored, expected) !== 0) {
      throw new CheckpointMovedError(projection.name, expected, stored)
    }
    const matching = selectMatching(projection, events)
    if (matching.length > 0) await projection.handle(trx, matching)
    await moveCheckpoint(trx, projection.name, last.checkpoint)
  })
  return last.checkpoint
}

/**
 * `applyBatch`, and when the batch fails for a reason that is not transient, finds the event responsible by
 * applying the batch again one event per transaction: the events before it are committed (they are fine), and
 * a `ProjectionEventError` naming it is thrown. Returns the checkpoint reached.
 */
export async function applyIsolating(
  db: Kysely<Database>,
  projection: Projection,
  events: readonly DeliveredEvent[],
  expected: Checkpoint,
  target: ApplyTarget = {},
): Promise<Checkpoint> {
  try {
    return await applyBatch(db, projection, events, expected, target)
  } catch (error) {
    if (isTransientError(error)) throw error
    if (events.length === 1) throw new ProjectionEventError(projection.name, events[0]!, error)
  }
  let checkpoint = expected
  for (const event of events) {
    try {
      checkpoint = await applyBatch(db, projection, [event], checkpoint, target)
    } catch (error) {
      if (isTransientError(error)) throw error
      throw new ProjectionEventError(projection.name, event, error)
    }
  }
  return checkpoint
}

export function selectMatching(projection: Projection, events: readonly DeliveredEvent[]): DeliveredEvent[] {
  return projection.filter ? events.filter((e) => matchesFilter(projection.filter, e.streamId, e.type)) : [...events]
}

/** Unqualified table names in this transaction resolve to `schema` (and only it) until the transaction ends. */
export async function setLocalSearchPath(trx: Transaction<Database>, schema: string): Promise<void> {
  await sql`select set_config('search_path', ${quoteIdent(schema)}, true)`.execute(trx)
}
