import type pg from 'pg'
import { StoreNotEmptyError } from '../errors.js'
import type { EventMetadata, JsonObject } from '../types.js'
import { checkAppend } from '../validation.js'
import { mapStoreError } from './errors.js'

/** An event exactly as a store recorded it (a line of `cli export`), to be written back unchanged. */
export interface RecordedEventToRestore {
  eventId: string
  streamId: string
  revision: bigint
  type: string
  schemaVersion: number
  data: JsonObject
  metadata: EventMetadata
  /** ISO time the original store recorded it; kept, where `append` would stamp the time of the restore. */
  recordedAt: string
}

export interface RestoreOptions {
  /** Events per INSERT (default 500). */
  batchSize?: number
  /** Told after each INSERT, with the positions the restored events got (in the order given). */
  onBatch?: (restored: ReadonlyArray<{ event: RecordedEventToRestore; position: bigint }>) => void | Promise<void>
}

export interface RestoreResult {
  events: number
  streams: number
}

/**
 * "Append as recorded": writes a whole log, as another store recorded it, into an EMPTY store, inside a transaction
 * the caller runs on `client` (so a failure anywhere — a bad event, a gap, something else the caller writes — rolls
 * back everything and leaves the store empty).
 *
 * `append` is not enough for this. It would keep the events (it never re-seals: ids, data and metadata, hashes
 * included, are stored as given), but it stamps `recorded_at` with the time of the restore, and appending stream by
 * stream means a transaction per append or, in one transaction, an `event_store_append` round trip per run of one
 * stream. Here, with every other writer locked out:
 * - events go in with one multi-row INSERT per batch, in the order given, which is the order `$all` delivers them
 *   afterwards: one transaction, so (transaction id, position) order is insertion order. Give them in the old
 *   store's delivery order (what `cli export --all` writes) and the ledger's leaves come out in the same order;
 * - event ids, stream ids, revisions, types, schema versions, `data`, `metadata` and `recorded_at` are the given
 *   ones; positions (and transaction ids) are this store's: new, increasing in the given order;
 * - afterwards every stream must hold revisions 0…n-1 (the unique index refuses a repeat, the check a gap), and its
 *   `streams` row is written so ordinary appends carry on after it.
 *
 * Nothing checks hashes here (the store never does): verify the log first (`verifyExport`). Throws
 * `StoreNotEmptyError` when the store holds any event or stream. Commit, then call the store's `notifyAppended()`.
 *
 * @example
 * await client.query('begin')
 * await restoreInTransaction(client, eventsOf('log.jsonl'))
 * await client.query('commit')
 * store.notifyAppended()
 */
export async function restoreInTransaction(
  client: pg.ClientBase,
  events: AsyncIterable<RecordedEventToRestore> | Iterable<RecordedEventToRestore>,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const batchSize = options.batchSize ?? 500
  try {
    // EXCLUSIVE lets plain reads through but no other writer until we end: no append can slip in between the
    // emptiness check and the commit, and none can interleave with the restored log.
    await client.query('lock table streams, events in exclusive mode')
    const { rows } = await client.query<{ streams: string; events: boolean }>(
      'select (select count(*) from streams) as streams, exists (select 1 from events) as events',
    )
    const held = BigInt(rows[0]!.streams)
    if (held > 0n || rows[0]!.events) throw new StoreNotEmptyError(held > 0n ? `it holds ${held} stream${held === 1n ? '' : 's'}` : 'it holds events')

    let count = 0
    let batch: RecordedEventToRestore[] = []
    const flush = async () => {
      if (batch.length === 0) return
      const positions = await insertBatch(client, batch)
      count += batch.length
      const restored = batch.map((event) => ({ event, position: positions.get(event.eventId)! }))
      batch = []
      await options.onBatch?.(restored)
    }
    for await (const event of events) {
      batch.push(checked(event))
      if (batch.length >= batchSize) await flush()
    }
    await flush()

    const gap = await client.query<{ stream_id: string; events: string; last: string }>(`
      select stream_id, count(*) as events, max(revision) as last
        from events
       group by stream_id
      having min(revision) <> 0 or max(revision) <> count(*) - 1
       limit 1`)
    const bad = gap.rows[0]
    if (bad) {
      throw new RangeError(`restore: stream ${bad.stream_id} holds ${bad.events} events but its last revision is ${bad.last}: revisions must run 0…n-1`)
    }
    const written = await client.query(`
      insert into streams (stream_id, revision, last_transaction_id)
      select stream_id, max(revision), pg_current_xact_id() from events group by stream_id`)
    return { events: count, streams: written.rowCount ?? 0 }
  } catch (error) {
    throw mapStoreError(error)
  }
}

/** The same argument checks as an append, plus the revision and time an append would have chosen itself. */
function checked(event: RecordedEventToRestore): RecordedEventToRestore {
  const [normalised] = checkAppend(event.streamId, [event], undefined).events
  if (typeof event.revision !== 'bigint' || event.revision < 0n) {
    throw new TypeError(`restore: event ${event.eventId} has no revision >= 0`)
  }
  if (typeof event.recordedAt !== 'string' || Number.isNaN(Date.parse(event.recordedAt))) {
    throw new TypeError(`restore: event ${event.eventId} has no ISO recordedAt`)
  }
  return normalised as RecordedEventToRestore
}

/** One multi-row INSERT in the given order (identity positions are drawn as the sorted rows are inserted). */
async function insertBatch(client: pg.ClientBase, events: readonly RecordedEventToRestore[]): Promise<Map<string, bigint>> {
  const payload = JSON.stringify(
    events.map((e) => ({
      eventId: e.eventId,
      streamId: e.streamId,
      revision: e.revision.toString(),
      type: e.type,
      schemaVersion: e.schemaVersion,
      data: e.data,
      metadata: e.metadata,
      recordedAt: e.recordedAt,
    })),
  )
  const { rows } = await client.query<{ event_id: string; position: string }>(
    `insert into events (stream_id, revision, event_id, type, schema_version, data, metadata, recorded_at)
     select x.e->>'streamId', (x.e->>'revision')::bigint, (x.e->>'eventId')::uuid, x.e->>'type',
            (x.e->>'schemaVersion')::integer, x.e->'data', x.e->'metadata', (x.e->>'recordedAt')::timestamptz
       from jsonb_array_elements($1::jsonb) with ordinality as x(e, ord)
      order by x.ord
     returning event_id, position`,
    [payload],
  )
  return new Map(rows.map((row) => [row.event_id, BigInt(row.position)]))
}
