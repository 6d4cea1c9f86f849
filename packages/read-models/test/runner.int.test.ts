import t from 'tap'
import { sql } from 'kysely'
import { compareCheckpoints, type DeliveredEvent, type EventStore } from '@pc/event-store'
import { ProjectionRunner, readCheckpoint, waitForProjections, type Projection } from '../src/index.js'
import { eventually, harness, rows, testMigrations, testProjection } from './support/harness.js'
import { appendMany } from './support/append.js'
import { newEvent } from './support/events.js'

function runner(h: { db: ConstructorParameters<typeof ProjectionRunner>[0]['db']; store: EventStore; url: string }, projection: Projection, extra: Partial<ConstructorParameters<typeof ProjectionRunner>[0]> = {}) {
  return new ProjectionRunner({
    db: h.db,
    store: h.store,
    connectionString: h.url,
    projections: [projection],
    batchSize: 50,
    leasePollMs: 50,
    retryDelayMs: 50,
    migrations: testMigrations,
    ...extra,
  })
}

t.test('applies every event once, in batches, and stores the checkpoint of the last', async (t) => {
  const h = await harness(t)
  const batches: number[] = []
  const projection = testProjection()
  const counting: Projection = { ...projection, handle: async (trx, events) => (batches.push(events.length), projection.handle(trx, events)) }
  await appendMany(h.store, 5, 40)
  await h.store.append('other-1', [newEvent('Ignored')])
  const last = await h.store.append('thing-0', [newEvent('Changed')])
  const r = runner(h, counting)
  r.start()
  t.teardown(() => r.stop())
  t.ok(await waitForProjections(h.db, h.store, ['test'], last.position, { timeoutMs: 10_000 }), 'caught up')
  const [count] = await rows<{ n: string; d: string }>(h.db, 'select count(*) as n, count(distinct event_id) as d from test_applied')
  t.equal(count?.n, '201', 'every matching event applied')
  t.equal(count?.d, '201', 'none twice')
  t.ok(batches.some((n) => n > 1), 'events were applied in batches')
  t.ok(batches.every((n) => n <= 50), 'no batch above batchSize')
  const row = await readCheckpoint(h.db, 'test')
  t.equal(row?.position, last.position.toString(), 'checkpoint is the last event (filtered-out events count too)')
  t.equal(row?.status, 'active')
})

t.test('exactly once when the connection dies in the middle of a batch', async (t) => {
  const h = await harness(t)
  const last = await appendMany(h.store, 4, 50)
  let kills = 0
  const projection = testProjection({
    async before(trx, event) {
      // Kill our own session halfway through a batch, three times: the transaction is lost with everything in it.
      if (event.position % 37n === 20n && kills < 3) {
        kills++
        await sql`select pg_terminate_backend(pg_backend_pid())`.execute(trx)
      }
    },
  })
  const r = runner(h, projection)
  r.start()
  t.teardown(() => r.stop())
  t.ok(await waitForProjections(h.db, h.store, ['test'], last, { timeoutMs: 15_000 }), 'caught up after the kills')
  t.equal(kills, 3, 'the connection was killed three times')
  const [count] = await rows<{ n: string; d: string }>(h.db, 'select count(*) as n, count(distinct event_id) as d from test_applied')
  t.equal(count?.n, '200')
  t.equal(count?.d, '200', 'no event applied twice')
  const streams = await rows<{ events: number }>(h.db, 'select events from test_streams order by stream_id')
  t.same(streams.map((s) => s.events), [50, 50, 50, 50], 'the fold agrees with the event count')
})

t.test('a failing event stops the projection there, recorded, not skipped; a restart with fixed code goes on', async (t) => {
  const h = await harness(t)
  await appendMany(h.store, 2, 30)
  const bad = await h.store.append('thing-1', [newEvent('Broken')])
  const last = await appendMany(h.store, 2, 5)
  const failing = testProjection({
    async before(_trx, event) {
      if (event.type === 'Broken') throw new Error('cannot project Broken')
    },
  })
  const logged: object[] = []
  const logger = { info() {}, warn() {}, error: (obj: object) => void logged.push(obj) }
  const r1 = runner(h, failing, { logger })
  r1.start()
  t.ok(await eventually(() => r1.status()[0]?.state === 'failed'), 'the projection stopped')
  const row = await readCheckpoint(h.db, 'test')
  t.equal(row?.status, 'failed')
  t.match(row?.error, { type: 'Broken', streamId: 'thing-1', revision: '30', position: bad.position.toString(), message: /cannot project Broken/ })
  let failedEvent: DeliveredEvent | undefined
  for await (const e of h.store.readAll()) if (e.type === 'Broken') failedEvent = e
  if (!failedEvent) throw new Error('the Broken event is not in the store')
    t.ok(compareCheckpoints({ txId: BigInt(row!.tx_id), position: BigInt(row!.position) }, failedEvent.checkpoint) < 0)
  const [applied] = await rows<{ n: string }>(h.db, 'select count(*) as n from test_applied')
  t.equal(applied?.n, '60', 'every event before it was applied (the batch was split), none after')
  t.match(logged, [{ projection: 'test', event: { eventId: failedEvent.eventId, streamId: 'thing-1', revision: '30' } }], 'the log names the event')
  await r1.stop()

  const r2 = runner(h, testProjection())
  r2.start()
  t.teardown(() => r2.stop())
  t.ok(await waitForProjections(h.db, h.store, ['test'], last, { timeoutMs: 10_000 }), 'the fixed projection caught up')
  const [after] = await rows<{ n: string; broken: string }>(h.db, `select count(*) as n, count(*) filter (where type = 'Broken') as broken from test_applied`)
  t.equal(after?.n, '71')
  t.equal(after?.broken, '1', 'the failing event was applied, not skipped')
  t.equal((await readCheckpoint(h.db, 'test'))?.status, 'active')
})

t.test('lease: a second runner waits, and takes over when the first one dies', async (t) => {
  const h = await harness(t)
  const first = await appendMany(h.store, 2, 20)
  const a = runner(h, testProjection({ tag: 'a' }))
  const b = runner(h, testProjection({ tag: 'b' }))
  a.start()
  t.ok(await waitForProjections(h.db, h.store, ['test'], first, { timeoutMs: 10_000 }))
  b.start()
  t.teardown(() => Promise.all([a.stop(), b.stop()]))
  t.ok(await eventually(() => b.status()[0]?.state === 'waiting_for_lease'), 'b waits')
  const second = await appendMany(h.store, 2, 5)
  t.ok(await waitForProjections(h.db, h.store, ['test'], second, { timeoutMs: 10_000 }))
  t.equal(b.status()[0]?.state, 'waiting_for_lease', 'b still waits while a runs')

  // a "dies": its lease session is killed by the server and it is stopped before it can reacquire.
  const pid = a.status()[0]?.leaseBackendPid
  t.ok(pid, 'a holds the lease')
  await a.stop()
  t.ok(await eventually(() => b.status()[0]?.state === 'running'), 'b took over')
  const third = await appendMany(h.store, 2, 5)
  t.ok(await waitForProjections(h.db, h.store, ['test'], third, { timeoutMs: 10_000 }))
  const tags = await rows<{ tag: string; n: string; d: string }>(
    h.db,
    'select tag, count(*) as n, count(distinct event_id) as d from test_applied group by tag order by tag',
  )
  t.same(tags, [
    { tag: 'a', n: '50', d: '50' },
    { tag: 'b', n: '10', d: '10' },
  ], 'a applied the first 50 events, b the rest, none twice')
})

t.test('lease: killing the holder\'s lease session hands the projection over without double application', async (t) => {
  const h = await harness(t)
  const a = runner(h, testProjection({ tag: 'a' }))
  const b = runner(h, testProjection({ tag: 'b' }))
  a.start()
  t.ok(await eventually(() => a.status()[0]?.state === 'running'))
  b.start()
  t.teardown(() => Promise.all([a.stop(), b.stop()]))
  t.ok(await eventually(() => b.status()[0]?.state === 'waiting_for_lease'))
  const writer = (async () => {
    for (let i = 0; i < 20; i++) {
      await appendMany(h.store, 3, 2)
      await new Promise((r) => setTimeout(r, 10))
    }
  })()
  await new Promise((r) => setTimeout(r, 60))
  const pid = a.status()[0]?.leaseBackendPid
  await sql`select pg_terminate_backend(${pid})`.execute(h.db)
  await writer
  const last = await appendMany(h.store, 1, 1)
  t.ok(await waitForProjections(h.db, h.store, ['test'], last, { timeoutMs: 10_000 }))
  const [count] = await rows<{ n: string; d: string }>(h.db, 'select count(*) as n, count(distinct event_id) as d from test_applied')
  t.equal(count?.n, '121')
  t.equal(count?.d, '121', 'no event applied twice across the hand-over')
  const holders = [a, b].filter((r) => r.status()[0]?.state === 'running')
  t.equal(holders.length, 1, 'exactly one runner is running the projection')
})
