import t from 'tap'
import pg from 'pg'
import { appendInTransaction } from '@pc/event-store'
import {
  ProjectionRunner,
  projectionPosition,
  projectionsReached,
  readCheckpoint,
  waitForProjections,
} from '../src/index.js'
import { eventually, harness, testMigrations, testProjection } from './support/harness.js'
import { newEvent } from './support/events.js'

t.test('waitFor compares in delivery order: a lower position committed later is not "reached" early', async (t) => {
  const h = await harness(t)
  const runner = () =>
    new ProjectionRunner({
      db: h.db, store: h.store, connectionString: h.url, projections: [testProjection()],
      leasePollMs: 50, retryDelayMs: 50, migrations: testMigrations,
    })
  const early = new pg.Client({ connectionString: h.url })
  const late = new pg.Client({ connectionString: h.url })
  await early.connect()
  await late.connect()
  t.teardown(() => Promise.all([early.end(), late.end()]))

  // `early` takes its transaction id first; `late` then takes the LOWER position but commits AFTER early.
  await early.query('begin')
  await early.query('select pg_current_xact_id()')
  await late.query('begin')
  const low = await appendInTransaction(late, 'thing-late', [newEvent('Late')])
  const high = await appendInTransaction(early, 'thing-early', [newEvent('Early')])
  t.ok(low.position < high.position, 'positions: late < early')
  await early.query('commit')

  const r1 = runner()
  r1.start()
  // `early` is below the horizon and is delivered; `late` (open) holds everything after it back.
  t.ok(await eventually(async () => (await readCheckpoint(h.db, 'test'))?.position === high.position.toString()))
  await r1.stop()
  await late.query('commit')

  const lowCheckpoint = (await h.store.checkpointOf(low.position))!
  const stored = (await readCheckpoint(h.db, 'test'))!
  t.ok(BigInt(stored.position) >= low.position, 'a plain position comparison would claim the late event applied')
  t.notOk(await projectionsReached(h.db, ['test'], lowCheckpoint), 'but it is not applied, and waitFor knows')
  t.notOk(await waitForProjections(h.db, h.store, ['test'], low.position, { timeoutMs: 200 }), 'waitFor times out while nothing runs')
  t.ok(await waitForProjections(h.db, h.store, ['test'], high.position, { timeoutMs: 200 }), 'the early event is applied')

  const waiting = waitForProjections(h.db, h.store, ['test'], low.position, { timeoutMs: 10_000 })
  const r2 = runner()
  r2.start()
  t.teardown(() => r2.stop())
  t.ok(await waiting, 'waitFor returns once the projection has applied the late event')
  t.equal((await readCheckpoint(h.db, 'test'))?.position, low.position.toString())
  t.equal(await projectionPosition(h.db, ['test']), low.position.toString(), 'X-Projection-Position is the checkpoint position')
  t.ok(await waitForProjections(h.db, h.store, ['test'], BigInt(await projectionPosition(h.db, ['test'])), { timeoutMs: 100 }), 'echoing the header back as waitFor is satisfied')
})

t.test('waitFor: unknown projections and positions time out; positions before the projection return at once', async (t) => {
  const h = await harness(t)
  const { position } = await h.store.append('thing-1', [newEvent('A')])
  const r = new ProjectionRunner({ db: h.db, store: h.store, connectionString: h.url, projections: [testProjection()], leasePollMs: 50, migrations: testMigrations })
  r.start()
  t.teardown(() => r.stop())
  t.ok(await waitForProjections(h.db, h.store, ['test'], position, { timeoutMs: 5000 }))
  const started = Date.now()
  t.notOk(await waitForProjections(h.db, h.store, ['test', 'no-such-projection'], position, { timeoutMs: 150 }), 'a projection without a checkpoint is never reached')
  t.notOk(await waitForProjections(h.db, h.store, ['test'], position + 1000n, { timeoutMs: 150 }), 'a position with no event is not reached')
  t.ok(Date.now() - started < 2000, 'and they gave up on time')
  t.equal(await projectionPosition(h.db, ['test', 'no-such-projection']), '-1', 'a projection that has applied nothing reports -1')
})
