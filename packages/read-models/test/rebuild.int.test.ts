import t from 'tap'
import { sql, type Kysely } from 'kysely'
import {
  migrateReadModels,
  ProjectionEventError,
  ProjectionRunner,
  RebuildInProgressError,
  readCheckpoint,
  rebuildProjection,
  rebuildProjections,
  rebuildSchemaName,
  waitForProjections,
  type Database,
  type Projection,
} from '../src/index.js'
import { eventually, harness, rows, testMigrations, testProjection } from './support/harness.js'
import { appendMany } from './support/append.js'
import { newEvent } from './support/events.js'

/** Every row of the projection's tables, in a stable order: what "row for row" compares. */
async function snapshot(db: Kysely<Database>) {
  return {
    applied: await rows(db, 'select event_id, stream_id, position::text, type, tag from test_applied order by position, event_id'),
    streams: await rows(db, 'select stream_id, events, last_type, last_position::text from test_streams order by stream_id'),
  }
}

/**
 * Each test gets a minute: they take seconds, and a stuck one then fails by name instead of running the whole file
 * into tap's five-minute limit.
 */
const BOUNDED = { timeout: 60_000 }

/** Most events the writer of the concurrent test appends: enough to overlap the rebuild, never an unbounded log. */
const MAX_LIVE_EVENTS = 1000

function runnerFor(h: Awaited<ReturnType<typeof harness>>, version = 1, tag = 'a') {
  return new ProjectionRunner({
    db: h.db,
    store: h.store,
    connectionString: h.url,
    projections: [testProjection({ version, tag })],
    batchSize: 40,
    leasePollMs: 50,
    retryDelayMs: 50,
    migrations: testMigrations,
  })
}

t.test('a rebuilt read model equals the incrementally built one, row for row', BOUNDED, async (t) => {
  const h = await harness(t)
  await appendMany(h.store, 6, 25)
  await appendMany(h.store, 2, 10, 'other-')
  const last = await appendMany(h.store, 6, 5)
  const r = runnerFor(h)
  r.start()
  t.ok(await waitForProjections(h.db, h.store, ['test'], last, { timeoutMs: 10_000 }))
  await r.stop()
  const incremental = await snapshot(h.db)
  t.equal(incremental.applied.length, 180)
  const before = await readCheckpoint(h.db, 'test')

  // A reader slower than `caughtUpAfterMs` at every step (a loaded machine, exaggerated): silence must not count as
  // caught up while the fresh tables are behind the live ones, or tables short of events would be swapped in. Small
  // batches, so the swap's final drain (20 batches) could not make up for it.
  const result = await rebuildProjection({
    db: h.db, store: h.store, projection: testProjection(), migrations: testMigrations, batchSize: 8, caughtUpAfterMs: 1,
  })
  t.equal(result.events, 200, 'the whole log was read')
  t.same(await snapshot(h.db), incremental, 'same rows')
  const after = await readCheckpoint(h.db, 'test')
  t.equal(after?.position, before?.position, 'checkpoint moved to the same place')
  t.equal(after?.tx_id, before?.tx_id)
  const indexes = await rows<{ indexname: string }>(h.db, `select indexname from pg_indexes where tablename = 'test_streams' and schemaname = current_schema() order by 1`)
  t.same(indexes.map((i) => i.indexname), ['test_streams_last_type_idx', 'test_streams_pkey'], 'indexes keep their migration names')
  const [schema] = await rows<{ n: string }>(h.db, `select count(*) as n from pg_namespace where nspname = '${rebuildSchemaName('test')}'`)
  t.equal(schema?.n, '0', 'the rebuild schema is gone')
})

t.test('rebuild while the live runner projects and writers append: queries keep answering, nothing lost or doubled', BOUNDED, async (t) => {
  const h = await harness(t)
  const first = await appendMany(h.store, 5, 30)
  const r = runnerFor(h)
  r.start()
  t.teardown(() => r.stop())
  // A live projection that is up to date when the rebuild begins, as in production.
  t.ok(await waitForProjections(h.db, h.store, ['test'], first, { timeoutMs: 10_000 }))
  let writing = true
  const writer = (async () => {
    let n = 0
    while (writing && n < MAX_LIVE_EVENTS) {
      await h.store.append(`thing-${n % 7}`, [newEvent('Live', { n })])
      n++
      // A steady stream rather than a flood: the rebuild and the live runner need the CPU more than the writer.
      if (n % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })()
  let duringRebuild: string | undefined
  let shadowExists: string | undefined
  await rebuildProjection({
    db: h.db,
    store: h.store,
    projection: testProjection(),
    migrations: testMigrations,
    batchSize: 50,
    async beforeSwap() {
      // The live tables still answer while the fresh ones are complete but not yet swapped in.
      duringRebuild = (await rows<{ n: string }>(h.db, 'select count(*) as n from test_applied'))[0]?.n
      shadowExists = (await rows<{ n: string }>(h.db, `select count(*) as n from ${rebuildSchemaName('test')}.test_applied`))[0]?.n
    },
  })
  writing = false
  await writer
  t.ok(Number(duringRebuild) > 0, 'live table answered during the rebuild')
  t.ok(Number(shadowExists) >= 150, 'fresh table was built alongside')
  const last = await appendMany(h.store, 1, 1)
  t.ok(await waitForProjections(h.db, h.store, ['test'], last, { timeoutMs: 10_000 }), 'the live runner carried on after the swap')

  let expected = 0
  const perStream = new Map<string, number>()
  for await (const e of h.store.readAll()) {
    if (!e.streamId.startsWith('thing-')) continue
    expected++
    perStream.set(e.streamId, (perStream.get(e.streamId) ?? 0) + 1)
  }
  const [count] = await rows<{ n: string; d: string }>(h.db, 'select count(*) as n, count(distinct event_id) as d from test_applied')
  t.equal(Number(count?.n), expected, 'every event once')
  t.equal(count?.d, count?.n, 'none twice')
  const streams = await rows<{ stream_id: string; events: number }>(h.db, 'select stream_id, events from test_streams order by stream_id')
  t.same(Object.fromEntries(streams.map((s) => [s.stream_id, s.events])), Object.fromEntries([...perStream].sort()), 'fold matches the log')
})

t.test('a runner whose projection version went up rebuilds before projecting', BOUNDED, async (t) => {
  const h = await harness(t)
  const last = await appendMany(h.store, 3, 10)
  const v1 = runnerFor(h, 1, 'v1')
  v1.start()
  t.ok(await waitForProjections(h.db, h.store, ['test'], last, { timeoutMs: 10_000 }))
  await v1.stop()
  const v2 = runnerFor(h, 2, 'v2')
  v2.start()
  t.teardown(() => v2.stop())
  t.ok(await eventually(async () => (await readCheckpoint(h.db, 'test'))?.version === 2), 'checkpoint carries version 2')
  const tags = await rows<{ tag: string; n: string }>(h.db, 'select tag, count(*) as n from test_applied group by tag')
  t.same(tags, [{ tag: 'v2', n: '30' }], 'every row was rebuilt by version 2')

  // And older code refuses to project over tables built by newer code instead of rebuilding them back.
  await v2.stop()
  const logged: string[] = []
  const old = new ProjectionRunner({
    db: h.db, store: h.store, connectionString: h.url, projections: [testProjection({ version: 1, tag: 'v1' })],
    leasePollMs: 50, retryDelayMs: 50, migrations: testMigrations,
    logger: { info() {}, error() {}, warn: (o: object) => void logged.push(String((o as { err?: Error }).err?.message)) },
  })
  old.start()
  t.ok(await eventually(() => logged.some((m) => /built by version 2/.test(m))), 'older code says why it does not project')
  await old.stop()
  t.equal((await readCheckpoint(h.db, 'test'))?.version, 2)
})

t.test('one rebuild of a projection at a time', BOUNDED, async (t) => {
  const h = await harness(t)
  await appendMany(h.store, 2, 5)
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const first = rebuildProjection({ db: h.db, store: h.store, projection: testProjection(), migrations: testMigrations, beforeSwap: () => gate })
  await eventually(async () => (await rows(h.db, `select 1 from pg_namespace where nspname = '${rebuildSchemaName('test')}'`)).length > 0)
  await t.rejects(
    rebuildProjection({ db: h.db, store: h.store, projection: testProjection(), migrations: testMigrations }),
    RebuildInProgressError,
  )
  release()
  const done = await first
  t.equal(done.events, 10)
  const [n] = await rows<{ n: string }>(h.db, 'select count(*) as n from test_applied')
  t.equal(n?.n, '10')
  await sql`select 1`.execute(h.db)
})

t.test('several projections rebuilt in one pass: one that fails on an event is named, the others are swapped in', BOUNDED, async (t) => {
  const h = await harness(t)
  const migrations = {
    ...testMigrations,
    '9002-test-counts': {
      async up(db: Kysely<unknown>) {
        await sql`create table test_counts (type text primary key, n integer not null)`.execute(db)
      },
    },
  }
  await migrateReadModels(h.db, { migrations })
  await appendMany(h.store, 3, 10)
  await h.store.append('thing-9', [newEvent('Broken')])
  await appendMany(h.store, 3, 2)
  // Live rows the failing projection's rebuild must leave alone.
  await sql`insert into test_counts (type, n) values ('live', 1)`.execute(h.db)
  const counting = (failOn?: string): Projection => ({
    name: 'test-counts',
    version: 1,
    tables: ['test_counts'],
    filter: { streamPrefix: ['thing-'] },
    async handle(trx, events) {
      for (const event of events) {
        if (event.type === failOn) throw new Error('cannot count this')
        await sql`insert into test_counts (type, n) values (${event.type}, 1)
          on conflict (type) do update set n = test_counts.n + 1`.execute(trx)
      }
    },
  })

  const error = await rebuildProjections({
    db: h.db, store: h.store, projections: [testProjection(), counting('Broken')], migrations, batchSize: 7,
  }).catch((e: unknown) => e)
  t.ok(error instanceof ProjectionEventError, 'a ProjectionEventError')
  t.equal((error as ProjectionEventError).projection, 'test-counts')
  t.equal((error as ProjectionEventError).failure.type, 'Broken', 'names the event')
  t.equal((error as ProjectionEventError).failure.streamId, 'thing-9')
  const [applied] = await rows<{ n: string }>(h.db, 'select count(*) as n from test_applied')
  t.equal(applied?.n, '37', 'the other projection was rebuilt and swapped in, every event once')
  t.same(await rows(h.db, 'select type, n from test_counts'), [{ type: 'live', n: 1 }], 'the failing one keeps its live rows')
  const [schemas] = await rows<{ n: string }>(h.db, `select count(*) as n from pg_namespace where nspname like 'rebuild\\_\\_%'`)
  t.equal(schemas?.n, '0', 'no rebuild schema is left')

  // With the handler fixed, both are rebuilt together and equal a fold of the log.
  const results = await rebuildProjections({
    db: h.db, store: h.store, projections: [testProjection(), counting()], migrations, batchSize: 7,
  })
  t.same(results.map((r) => [r.projection, r.events]), [['test', 37], ['test-counts', 37]])
  const counts = await rows<{ type: string; n: number }>(h.db, 'select type, n from test_counts order by type')
  t.equal(counts.reduce((sum, c) => sum + c.n, 0), 37)
  t.ok(counts.some((c) => c.type === 'Broken'))
  t.equal((await readCheckpoint(h.db, 'test-counts'))?.position, (await readCheckpoint(h.db, 'test'))?.position, 'both checkpoints moved alike')
})
