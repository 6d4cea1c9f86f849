import type pg from 'pg'
import { compareCheckpoints, type Checkpoint, type DeliveredEvent, type EventFilter, type EventMetadata, type JsonObject } from '../types.js'
import { MAX_INT64 } from '../validation.js'

/**
 * The SQL the adapter runs, as named statements: pg prepares each once per connection, so an append or a read
 * is parse-free after the first call on a connection.
 */

const COLUMNS = 'position, transaction_id, stream_id, revision, event_id, type, schema_version, data, metadata, recorded_at'

export const APPEND = {
  name: 'event_store_append_v1',
  text: 'select next_revision, last_position from event_store_append($1, $2, $3)',
} as const

export const READ_STREAM_FORWARDS = {
  name: 'event_store_read_stream_forwards_v1',
  text: `select ${COLUMNS} from events where stream_id = $1 and revision >= $2 order by revision limit $3`,
} as const

export const READ_STREAM_BACKWARDS = {
  name: 'event_store_read_stream_backwards_v1',
  text: `select ${COLUMNS} from events where stream_id = $1 and revision <= $2 order by revision desc limit $3`,
} as const

/**
 * The gap-safe read of $all. Positions come from a sequence, so they are handed out at insert time, not at
 * commit: transaction A takes position 10, B takes 11, B commits first. A reader paging by position alone sees
 * 11, moves its checkpoint past 10, and never sees A's event once A commits (the "high water mark" problem
 * Marten solves with a daemon, and that lost Emmett ~17 % of events before its PR #336).
 *
 * So the log is read in (transaction_id, position) order and only up to the oldest transaction still running
 * (`pg_snapshot_xmin` of the current snapshot): every transaction below that horizon has committed or aborted,
 * and every transaction that can still write gets an id at or above it. Nothing can ever appear behind a
 * checkpoint taken from a row this query returned. The price is that one long transaction anywhere in the
 * cluster holds delivery back until it ends.
 *
 * The horizon is returned even when no row matches, so a filtered reader can move past the events it skipped.
 */
export const READ_ALL = {
  name: 'event_store_read_all_v1',
  text: `
    with horizon as (select pg_snapshot_xmin(pg_current_snapshot()) as xmin)
    select h.xmin as horizon, e.*
      from horizon h
      left join lateral (
        select ${COLUMNS}
          from events
         where (transaction_id, position) > ($1::xid8, $2::bigint)
           and transaction_id < h.xmin
           and ($3::text[] is null or stream_id ^@ any ($3::text[]))
           and ($4::text[] is null or type ^@ any ($4::text[]))
         order by transaction_id, position
         limit $5
      ) e on true
     order by e.transaction_id, e.position`,
} as const

export const CHECKPOINT_OF = {
  name: 'event_store_checkpoint_of_v1',
  text: 'select transaction_id, position from events where position = $1',
} as const

/** A row of `events`. pg hands int8 and xid8 back as strings; they become bigints, never numbers. */
export interface EventRow {
  position: string
  transaction_id: string
  stream_id: string
  revision: string
  event_id: string
  type: string
  schema_version: number
  data: JsonObject
  metadata: EventMetadata
  recorded_at: Date
}

export function toDelivered(row: EventRow): DeliveredEvent {
  const position = BigInt(row.position)
  return {
    eventId: row.event_id,
    streamId: row.stream_id,
    revision: BigInt(row.revision),
    position,
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at.toISOString(),
    checkpoint: { txId: BigInt(row.transaction_id), position },
  }
}

export interface AllBatch {
  events: DeliveredEvent[]
  /** Everything from transactions below this id has been read (up to the filter and limit). */
  horizon: bigint
}

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>

/** One page of $all strictly after `after`, in delivery order. */
export async function readAllBatch(
  db: Queryable,
  after: Checkpoint,
  filter: EventFilter | undefined,
  limit: number,
): Promise<AllBatch> {
  // START is (-1, -1); transaction ids are never negative, and (0, -1) sorts before every stored event.
  const txId = after.txId < 0n ? '0' : after.txId.toString()
  const streamPrefixes = filter && 'streamPrefix' in filter ? filter.streamPrefix : null
  const typePrefixes = filter && 'eventTypePrefix' in filter ? filter.eventTypePrefix : null
  const { rows } = await db.query<Partial<EventRow> & { horizon: string }>({
    ...READ_ALL,
    values: [txId, after.position.toString(), streamPrefixes, typePrefixes, limit],
  })
  const events = rows.filter((row): row is EventRow & { horizon: string } => row.position != null).map(toDelivered)
  return { events, horizon: BigInt(rows[0]!.horizon) }
}

/**
 * Where the next page starts after a page shorter than its limit: past every event below the horizon, which the
 * page has shown to hold nothing more for this filter. Without this a filtered subscriber would re-scan every
 * non-matching event since its last match on every poll.
 */
export function advancePastHorizon(cursor: Checkpoint, horizon: bigint): Checkpoint {
  const skipped: Checkpoint = { txId: horizon - 1n, position: MAX_INT64 }
  return compareCheckpoints(skipped, cursor) > 0 ? skipped : cursor
}
