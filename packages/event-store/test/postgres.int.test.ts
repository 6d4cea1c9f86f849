import { randomUUID } from 'node:crypto'
import { testDatabase } from '@pc/postgres/testing'
import pg from 'pg'
import t, { type Test } from 'tap'
import { runEventStoreContract, type HeldTransaction } from '@pc/testing/event-store-contract'
import { StoreUnavailableError } from '../src/errors.js'
import { appendInTransaction, createPostgresEventStore, type PostgresEventStore } from '../src/postgres/store.js'
import { EVENT_STORE_MIGRATION_TABLE, LEGACY_MIGRATION_TABLE, migrateEventStore, migrations, NOTIFY_CHANNEL } from '../src/postgres/migrations.js'
import { createAppendNotifier } from '../src/postgres/notifier.js'
import { SQLSTATE } from '../src/postgres/errors.js'
import type { DeliveredEvent, NewEvent } from '../src/types.js'

const db = await testDatabase(t)

function newEvent(type = 'Noted'): NewEvent {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data: { at: type },
    metadata: {
      actor: { id: 'u', roles: [] },
      occurredAt: '2025-01-01T00:00:00.000Z',
      correlationId: 'c',
      causationId: null,
      prevHash: '0',
      hash: '1',
    },
  }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

/** Begin a transaction on its own connection; appends inside it commit only when asked. */
async function holdTransactionOpen(store: PostgresEventStore): Promise<HeldTransaction> {
  const client = await store.pool.connect()
  await client.query('begin')
  return {
    async append(streamId, events, options) {
      for (;;) {
        try {
          return await appendInTransaction(client, streamId, events, options)
        } catch (error) {
          // A younger transaction got to the stream first: run the transaction again, as any caller must.
          if ((error as { code?: string }).code !== SQLSTATE.serializationFailure) throw error
          await client.query('rollback')
          await client.query('begin')
        }
      }
    },
    async commit() {
      try {
        await client.query('commit')
      } finally {
        client.release()
      }
      // As a caller of appendInTransaction should: wake live subscribers now rather than at their next poll.
      store.notifyAppended()
    },
  }
}

{
  const pool = new pg.Pool({ connectionString: db.url, max: 1 })
  await migrateEventStore(pool)
  await pool.end()
}

await runEventStoreContract(t, 'postgres', async () => {
  // A small read batch so paging is exercised; a pool large enough for 16 writers and a dozen live subscribers.
  const store = await createPostgresEventStore({
    connectionString: db.url,
    migrate: false,
    readBatchSize: 7,
    maxConnections: 64,
  })
  return {
    store,
    cleanup: () => store.close(),
    capabilities: {
      async setGlobalPosition(position) {
        await store.pool.query(
          `select setval(pg_get_serial_sequence('events', 'position'),
                         greatest($1::bigint, (select coalesce(max(position), 1) from events)))`,
          [position.toString()],
        )
      },
      holdTransactionOpen: () => holdTransactionOpen(store),
    },
  }
})

t.test('postgres: UPDATE, DELETE and TRUNCATE on events are refused', async (t) => {
  const store = await createPostgresEventStore({ connectionString: db.url })
  t.teardown(() => store.close())
  const stream = `immutable-${randomUUID()}`
  const { position } = await store.append(stream, [newEvent()])
  const count = async () => (await store.pool.query('select count(*) as n from events')).rows[0].n as string
  const before = await count()
  for (const sql of [
    `update events set type = 'Changed' where position = ${position}`,
    `update events set data = '{}'::jsonb`,
    `delete from events where position = ${position}`,
    'delete from events',
    'truncate events',
    'truncate events cascade',
  ]) {
    await t.rejects(store.pool.query(sql), { code: SQLSTATE.immutable, message: /events are immutable/ }, sql)
  }
  t.equal(await count(), before, 'no row changed or vanished')
  const [event] = await collect(store.readStream(stream))
  t.equal(event?.type, 'Noted')
})

t.test('postgres: migrations are idempotent and safe to run concurrently', async (t) => {
  const fresh = await testDatabase(t)
  const pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: fresh.url, max: 2 }))
  t.teardown(() => Promise.all(pools.map((p) => p.end())))
  const results = await Promise.all(pools.map((pool) => migrateEventStore(pool)))
  t.equal(results.filter((r) => r.length > 0).length, 1, 'exactly one process applied the migrations')
  t.same(results.find((r) => r.length > 0), [1, 2])
  t.same(await migrateEventStore(pools[0]!), [], 'a second run applies nothing')
  const { rows } = await pools[0]!.query(`select name from ${EVENT_STORE_MIGRATION_TABLE} order by name`)
  t.same(
    rows.map((r: { name: string }) => r.name),
    migrations.map((m) => m.id),
    'kysely recorded every migration once',
  )
  const triggers = await pools[0]!.query<{ tgname: string }>(
    `select tgname from pg_trigger where tgrelid = 'events'::regclass and not tgisinternal order by tgname`,
  )
  t.same(
    triggers.rows.map((r) => r.tgname),
    ['events_refuse_truncate', 'events_refuse_update_delete'],
    'no notification trigger: appends do not NOTIFY inside their transaction',
  )
  const store = await createPostgresEventStore({ pool: pools[1]! })
  t.equal((await store.append('m-1', [newEvent()])).nextExpectedRevision, 0n, 'the schema works')
  await store.close()
  t.equal((await pools[1]!.query('select 1 as one')).rows[0].one, 1, 'closing a store leaves a pool it did not create open')
})

/** What the hand-written runner before kysely's Migrator did, for the versions given: the schema and its table. */
async function migrateLikeTheOldRunner(pool: pg.Pool, versions: readonly number[]): Promise<void> {
  await pool.query(`
    create table ${LEGACY_MIGRATION_TABLE} (
      version     integer primary key,
      name        text not null,
      applied_at  timestamptz not null default now()
    )`)
  for (const migration of migrations.filter((m) => versions.includes(m.version))) {
    await pool.query(migration.sql)
    await pool.query(`insert into ${LEGACY_MIGRATION_TABLE} (version, name) values ($1, $2)`, [migration.version, migration.name])
  }
}

t.test('postgres: a database the old migration runner created keeps its events and gets only what it lacked', async (t) => {
  for (const legacy of [[1], [1, 2]]) {
    await t.test(`old runner applied ${legacy.join(', ')}`, async (t) => {
      const fresh = await testDatabase(t)
      const pools = Array.from({ length: 3 }, () => new pg.Pool({ connectionString: fresh.url, max: 2 }))
      t.teardown(() => Promise.all(pools.map((p) => p.end())))
      await migrateLikeTheOldRunner(pools[0]!, legacy)
      // Written before the switch, by the old schema: it must still be there, and the stream still appendable.
      const before = await createPostgresEventStore({ pool: pools[0]!, migrate: false })
      await before.append('old-1', [newEvent()], { expectedRevision: 'no_stream' })
      await before.close()

      const results = await Promise.all(pools.map((pool) => migrateEventStore(pool)))
      const missing = migrations.map((m) => m.version).filter((v) => !legacy.includes(v))
      t.same(results.flat().sort(), migrations.map((m) => m.version).sort(), 'each migration recorded by one start-up only')
      const { rows } = await pools[0]!.query(`select name from ${EVENT_STORE_MIGRATION_TABLE} order by name`)
      t.same(rows.map((r: { name: string }) => r.name), migrations.map((m) => m.id), 'all recorded in kysely’s table')
      const triggers = await pools[0]!.query<{ tgname: string }>(
        `select tgname from pg_trigger where tgrelid = 'events'::regclass and not tgisinternal order by tgname`,
      )
      t.notOk(triggers.rows.some((r) => r.tgname === 'events_notify'), `missing migrations ${missing.join(', ') || 'none'} applied`)

      const store = await createPostgresEventStore({ pool: pools[1]! })
      t.teardown(() => store.close())
      t.equal((await collect(store.readStream('old-1'))).length, 1, 'the event written before the switch is read')
      t.equal((await store.append('old-1', [newEvent()], { expectedRevision: 0n })).nextExpectedRevision, 1n, 'and its stream goes on')
      t.same(await migrateEventStore(pools[2]!), [], 'a later start-up applies nothing')
    })
  }
})

t.test('postgres: an event of a transaction still open holds back what committed after it', async (t) => {
  const store = await createPostgresEventStore({ connectionString: db.url })
  t.teardown(() => store.close())
  const prefix = `hold-${randomUUID()}-`
  const filter = { streamPrefix: [prefix] }
  const held = await holdTransactionOpen(store)
  const early = await held.append(`${prefix}a`, [newEvent('Early')])
  const late = await store.append(`${prefix}b`, [newEvent('Late')])
  t.ok(early.position < late.position, 'the held event took the lower position')

  // The later event is committed, but handing it out now would move a reader past the held one for good.
  t.same(await collect(store.readAll({ filter })), [], 'nothing is delivered while the older transaction is open')
  t.equal(await store.checkpointOf(early.position), null, 'an uncommitted event has no checkpoint yet')
  const live: DeliveredEvent[] = []
  const subscription = store.subscribeAll({ filter })
  const consumed = (async () => {
    for await (const event of subscription) {
      live.push(event)
      if (live.length === 2) break
    }
  })()
  await new Promise((resolve) => setTimeout(resolve, 400))
  t.same(live, [], 'nor to a live subscriber')

  await held.commit()
  await consumed
  const all = await collect(store.readAll({ filter }))
  t.same(
    all.map((e) => e.type),
    ['Early', 'Late'],
    'after the commit both arrive, the held one first',
  )
  t.same(
    live.map((e) => e.type),
    ['Early', 'Late'],
  )
})

t.test('postgres: an append whose transaction is older than the stream last writer is refused for retry', async (t) => {
  const store = await createPostgresEventStore({ connectionString: db.url })
  t.teardown(() => store.close())
  const stream = `guard-${randomUUID()}`
  await store.append(stream, [newEvent()])
  const old = await store.pool.connect()
  t.teardown(() => old.release())
  await old.query('begin')
  await old.query('select pg_current_xact_id()') // takes its transaction id now
  await store.append(stream, [newEvent()]) // a younger transaction appends and commits
  await t.rejects(appendInTransaction(old, stream, [newEvent()]), { code: '40001' }, 'the older transaction must retry')
  await old.query('rollback')
  t.equal((await collect(store.readStream(stream))).length, 2)
})

t.test('postgres: a closed subscription gives its connection back', async (t) => {
  const store = await createPostgresEventStore({ connectionString: db.url })
  t.teardown(() => store.close())
  const inUse = () => store.pool.totalCount - store.pool.idleCount
  // Sessions on this test's database; the other tests of this file have closed theirs.
  const sessions = async () =>
    (await store.pool.query(`select count(*)::int as n from pg_stat_activity where datname = current_database()`))
      .rows[0].n as number
  const settled = async (expected: number) => {
    let n = await sessions()
    for (let i = 0; i < 40 && n !== expected; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      n = await sessions()
    }
    return n
  }
  await store.ping()
  const before = await sessions()
  const subscription = store.subscribeAll({ filter: { streamPrefix: [`none-${randomUUID()}`] } })
  const consumed = collect(subscription)
  t.equal(await settled(before + 1), before + 1, 'a live subscription opens one session')
  t.equal(inUse(), 1, 'and holds one pooled connection')
  await subscription.close()
  await consumed
  t.equal(inUse(), 0, 'released on close')
  const after = await settled(before)
  t.equal(after, before, 'and its server session ended')
})

t.test('postgres: an unreachable server is StoreUnavailableError', async (t) => {
  const url = new URL(db.url)
  url.port = '1' // nothing listens there
  await t.rejects(createPostgresEventStore({ connectionString: url.toString() }), StoreUnavailableError, 'on start')
  const store = await createPostgresEventStore({ connectionString: url.toString(), migrate: false })
  t.teardown(() => store.close())
  await t.rejects(store.ping(), StoreUnavailableError, 'ping')
  await t.rejects(store.append('s', [newEvent()]), StoreUnavailableError, 'append')
  await t.rejects(collect(store.readAll()), StoreUnavailableError, 'readAll')
  await t.rejects(collect(store.subscribeAll()), StoreUnavailableError, 'subscribeAll')
})

t.test('postgres: a live subscription whose connection dies fails with StoreUnavailableError', async (t) => {
  const store = await createPostgresEventStore({ connectionString: db.url })
  t.teardown(() => store.close())
  const pids = async () =>
    (
      await store.pool.query<{ pid: number }>(
        'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
      )
    ).rows.map((r) => r.pid)
  const before = new Set(await pids())
  const subscription = store.subscribeAll({ filter: { streamPrefix: [`none-${randomUUID()}`] } })
  // The handler is attached as the promise is made: the rejection may come before the test reaches its end (on a
  // loaded machine it did, while `pg_terminate_backend` was still being awaited), and must not be unhandled then.
  const failed = t.rejects(collect(subscription), StoreUnavailableError, 'the consumer sees the store fail')
  let pid: number | undefined
  for (let i = 0; i < 40 && pid === undefined; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    pid = (await pids()).find((p) => !before.has(p))
  }
  t.ok(pid, 'found the subscription session')
  await store.pool.query('select pg_terminate_backend($1)', [pid])
  await failed
})

/** Polls `condition` every 10 ms; true once it holds, false after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return true
}

/** A live subscriber whose poll never fires during a test: whatever reaches it promptly came by notification. */
async function deafReader(t: Test, prefix: string) {
  const reader = await createPostgresEventStore({ connectionString: db.url, migrate: false, pollIntervalMs: 600_000 })
  const subscription = reader.subscribeAll({ filter: { streamPrefix: [prefix] } })
  const seen: string[] = []
  const consumed = (async () => {
    for await (const event of subscription) seen.push(event.type)
  })()
  t.teardown(async () => {
    await subscription.close()
    await consumed
    await reader.close()
  })
  return { seen }
}

t.test('postgres: an append wakes live subscribers of other stores at once, without the poll', async (t) => {
  const writer = await createPostgresEventStore({ connectionString: db.url, migrate: false })
  t.teardown(() => writer.close())
  const prefix = `wake-${randomUUID()}-`
  const { seen } = await deafReader(t, prefix)
  await writer.append(`${prefix}1`, [newEvent('First')])
  t.ok(await until(() => seen.length === 1, 5_000), 'the first event arrives')
  await new Promise((resolve) => setTimeout(resolve, 200)) // the reader is asleep again
  const started = Date.now()
  await writer.append(`${prefix}2`, [newEvent('Second')])
  t.ok(await until(() => seen.length === 2, 5_000), 'the second event arrives while the reader sleeps')
  t.same(seen, ['First', 'Second'])
  t.ok(Date.now() - started < 5_000, `woken by the notification (${Date.now() - started} ms; the poll is 600 s)`)
})

t.test('postgres: appendInTransaction announces nothing; notifyAppended after the commit wakes subscribers', async (t) => {
  const writer = await createPostgresEventStore({ connectionString: db.url, migrate: false })
  t.teardown(() => writer.close())
  const prefix = `tx-wake-${randomUUID()}-`
  const { seen } = await deafReader(t, prefix)
  await writer.append(`${prefix}0`, [newEvent('Plain')])
  t.ok(await until(() => seen.length === 1, 5_000))
  await new Promise((resolve) => setTimeout(resolve, 200))

  const client = await writer.pool.connect()
  try {
    await client.query('begin')
    await appendInTransaction(client, `${prefix}1`, [newEvent('InTransaction')])
    await client.query('commit')
  } finally {
    client.release()
  }
  t.notOk(await until(() => seen.length === 2, 400), 'a sleeping subscriber is not told of the commit')
  writer.notifyAppended()
  t.ok(await until(() => seen.length === 2, 5_000), 'notifyAppended wakes it')
  t.same(seen, ['Plain', 'InTransaction'])
})

/** A session that counts the notifications reaching the database's listeners; answers the count so far. */
async function countNotifications(t: Test): Promise<() => number> {
  const listener = new pg.Client({ connectionString: db.url })
  await listener.connect()
  t.teardown(() => listener.end())
  let received = 0
  listener.on('notification', () => received++)
  await listener.query(`listen ${NOTIFY_CHANNEL}`)
  return () => received
}

t.test('postgres: wake-ups are coalesced (one in flight, one more after it) and their failures are ignored', async (t) => {
  // One connection, so the session setting checked below is the one the notifications ran on.
  const pool = new pg.Pool({ connectionString: db.url, max: 1 })
  t.teardown(() => pool.end())
  // Hold every notification the store sends until released, and count them; fail them while `failing` is set.
  const query = pool.query.bind(pool) as (config: pg.QueryConfig) => Promise<pg.QueryResult>
  const held: Array<() => void> = []
  let sent = 0
  let failing = false
  const spied = (config: pg.QueryConfig): Promise<pg.QueryResult> => {
    if (config.name !== 'event_store_notify_v1') return query(config)
    sent++
    if (failing) return Promise.reject(new Error('connection lost'))
    return new Promise<void>((resolve) => held.push(resolve)).then(() => query(config))
  }
  ;(pool as unknown as { query: typeof spied }).query = spied
  const debug: string[] = []
  const store = await createPostgresEventStore({
    pool,
    migrate: false,
    logger: { debug: (_details, message) => debug.push(message) },
  })
  t.teardown(() => store.close())

  const received = await countNotifications(t)

  const prefix = `coalesce-${randomUUID()}-`
  await store.append(`${prefix}1`, [newEvent()])
  t.equal(sent, 1, 'the first append sends a notification')
  await Promise.all([2, 3, 4, 5].map((n) => store.append(`${prefix}${n}`, [newEvent()])))
  store.notifyAppended()
  t.equal(sent, 1, 'appends that finish while it is in flight send nothing yet')
  held.shift()!()
  t.ok(await until(() => sent === 2, 5_000), 'once it is done, exactly one more goes out for all of them')
  held.shift()!()
  t.ok(await until(() => received() === 2, 5_000), 'both reached the listener')
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(sent, 2, 'and nothing after that')
  t.equal(held.length, 0)

  failing = true
  const { nextExpectedRevision } = await store.append(`${prefix}1`, [newEvent()])
  t.equal(nextExpectedRevision, 1n, 'a failing notification does not fail the append')
  t.ok(await until(() => debug.length === 1, 5_000), 'it is logged at debug level')
  t.match(debug[0], /notification failed/)
  failing = false
  await store.append(`${prefix}1`, [newEvent()])
  t.ok(await until(() => sent === 4 && held.length === 1, 5_000), 'and does not stop later ones')
  held.shift()!()
  t.ok(await until(() => received() === 3, 5_000))
  const { rows } = await pool.query<{ synchronous_commit: string }>('show synchronous_commit')
  t.equal(rows[0]?.synchronous_commit, 'on', 'the asynchronous commit of a notification does not outlive it')

  store.notifyAppended()
  const closing = store.close()
  let closed = false
  void closing.then(() => (closed = true))
  t.ok(await until(() => held.length === 1, 5_000))
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.notOk(closed, 'close waits for the notification in flight')
  held.shift()!()
  await closing
  t.ok(await until(() => received() === 4, 5_000), 'which is still delivered')
  store.notifyAppended()
  t.equal(sent, 5, 'a closed store sends nothing')
})

t.test('postgres: a refused append keeps its connection (no new backend per conflict)', async (t) => {
  const pool = new pg.Pool({ connectionString: db.url, max: 1 })
  const store = await createPostgresEventStore({ pool, migrate: false })
  t.teardown(async () => {
    await store.close()
    await pool.end()
  })
  const backend = async () => (await pool.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid
  const stream = `keep-${randomUUID()}`
  const pid = await backend()
  const first = newEvent()
  await store.append(stream, [first], { expectedRevision: 'no_stream' })
  await t.rejects(store.append(stream, [newEvent()], { expectedRevision: 'no_stream' }), { name: 'WrongExpectedRevisionError' })
  await t.rejects(store.append(`${stream}-b`, [first]), { name: 'DuplicateEventIdError' })
  t.equal(await backend(), pid, 'the same backend served every statement')
  t.equal(pool.totalCount, 1)
})

t.test('postgres: a steady writer sends one wake-up per interval, not one per append', async (t) => {
  const pool = new pg.Pool({ connectionString: db.url, max: 1 })
  t.teardown(() => pool.end())
  const received = await countNotifications(t)
  const notifier = createAppendNotifier(pool, undefined, 1_000)
  const started = performance.now()
  // Twenty appends' worth of requests, one after another, well inside one interval.
  for (let i = 0; i < 20; i++) {
    notifier.notify()
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  t.ok(performance.now() - started < 1_000, 'the requests came within one interval')
  await notifier.close()
  t.ok(await until(() => received() === 2, 5_000), 'the first at once, one more for the rest')
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(received(), 2)
})
