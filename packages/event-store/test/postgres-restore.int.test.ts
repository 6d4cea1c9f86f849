import { randomUUID } from 'node:crypto'
import { testDatabase } from '@pc/postgres/testing'
import t, { type Test } from 'tap'
import { StoreNotEmptyError, WrongExpectedRevisionError } from '../src/errors.js'
import { restoreInTransaction, type RecordedEventToRestore } from '../src/postgres/restore.js'
import { createPostgresEventStore, type PostgresEventStore } from '../src/postgres/store.js'
import type { DeliveredEvent } from '../src/types.js'

/**
 * `restoreInTransaction`, the "append as recorded" of `cli import`: the events as given (ids, revisions, data,
 * metadata, recordedAt), in the given order in `$all`, all or nothing, only into an empty store, and a store that
 * ordinary appends carry on from.
 */

function recorded(streamId: string, revision: bigint, recordedAt: string): RecordedEventToRestore {
  return {
    eventId: randomUUID(),
    streamId,
    revision,
    type: 'Noted',
    schemaVersion: 2,
    data: { text: `${streamId}@${revision}`, amountFen: 12_345, nested: { list: [1, 'two', null] } },
    metadata: {
      actor: { id: 'staff-1', roles: ['staff'] },
      occurredAt: '2024-03-01T08:00:00.000Z',
      correlationId: randomUUID(),
      causationId: null,
      prevHash: 'a'.repeat(64),
      hash: 'b'.repeat(64),
    },
    recordedAt,
  }
}

async function freshStore(t: Test): Promise<PostgresEventStore> {
  const { url } = await testDatabase(t)
  const store = await createPostgresEventStore({ connectionString: url })
  t.teardown(() => store.close())
  return store
}

async function all(store: PostgresEventStore): Promise<DeliveredEvent[]> {
  const events: DeliveredEvent[] = []
  for await (const e of store.readAll()) events.push(e)
  return events
}

async function inTransaction<T>(store: PostgresEventStore, work: (client: import('pg').PoolClient) => Promise<T>): Promise<T> {
  const client = await store.pool.connect()
  try {
    await client.query('begin')
    const result = await work(client)
    await client.query('commit')
    return result
  } catch (error) {
    await client.query('rollback')
    throw error
  } finally {
    client.release()
  }
}

// Two streams interleaved, as a whole-log export in delivery order has them.
const log = [
  recorded('case-a', 0n, '2024-03-01T08:00:00.123Z'),
  recorded('case-b', 0n, '2024-03-01T08:00:01.000Z'),
  recorded('case-a', 1n, '2024-03-01T08:00:02.000Z'),
  recorded('case-a', 2n, '2024-03-01T08:00:02.000Z'),
  recorded('case-b', 1n, '2024-03-02T00:00:00.000Z'),
]

t.test('restores the events as recorded, in the given order, and appends carry on after them', async (t) => {
  const store = await freshStore(t)
  const positions: bigint[] = []
  const result = await inTransaction(store, (client) =>
    restoreInTransaction(client, log, { batchSize: 2, onBatch: (restored) => void positions.push(...restored.map((r) => r.position)) }),
  )
  t.same(result, { events: 5, streams: 2 })
  const restored = await all(store)
  t.same(
    restored.map(({ eventId, streamId, revision, type, schemaVersion, data, metadata, recordedAt }) => ({ eventId, streamId, revision, type, schemaVersion, data, metadata, recordedAt })),
    log,
    'ids, streams, revisions, data, metadata and recordedAt as given, in $all in the given order',
  )
  t.same(restored.map((e) => e.position), positions, 'onBatch told each event its position')
  t.ok(positions.every((p, i) => i === 0 || p > positions[i - 1]!), 'positions increase in the given order')

  const next = await store.append('case-a', [{ ...recorded('case-a', 3n, ''), metadata: log[0]!.metadata }], { expectedRevision: 2n })
  t.equal(next.nextExpectedRevision, 3n, 'an append at the restored revision goes on from it')
  await t.rejects(store.append('case-b', [{ ...recorded('case-b', 0n, ''), metadata: log[0]!.metadata }], { expectedRevision: 'no_stream' }), WrongExpectedRevisionError)
})

t.test('refuses a store that holds anything, writing nothing', async (t) => {
  const store = await freshStore(t)
  await store.append('case-x', [{ ...recorded('case-x', 0n, ''), metadata: log[0]!.metadata }], { expectedRevision: 'no_stream' })
  await t.rejects(inTransaction(store, (client) => restoreInTransaction(client, log)), StoreNotEmptyError)
  t.same((await all(store)).map((e) => e.streamId), ['case-x'])
})

t.test('a gap or a repeated revision rolls everything back', async (t) => {
  const store = await freshStore(t)
  const gap = [log[0]!, recorded('case-a', 2n, '2024-03-01T08:00:03.000Z')]
  await t.rejects(inTransaction(store, (client) => restoreInTransaction(client, gap)), /stream case-a holds 2 events but its last revision is 2/)
  const repeat = [log[0]!, { ...log[2]!, revision: 0n }]
  await t.rejects(inTransaction(store, (client) => restoreInTransaction(client, repeat)), /events_stream_revision_key|duplicate key/)
  t.same(await all(store), [], 'the store is still empty')
  const fine = await inTransaction(store, (client) => restoreInTransaction(client, log))
  t.equal(fine.events, log.length, 'and a good log restores after them')
})
