import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { testDatabase } from '@pc/postgres/testing'
import pg from 'pg'
import t, { type Test } from 'tap'
import { startStandin } from '../../../test/esdb-standin/standin.js'
import { createLogger, loadConfig, openRuntime } from '../src/index.js'
import { SUBSCRIPTION_HEADROOM } from '../src/runtime.js'

// The runtime's shared pool and the event store factory: what a process holds open.

async function open(t: Test, env: Record<string, string> = {}) {
  const db = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-runtime-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({ DATABASE_URL: db.url, DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(40), LOG_LEVEL: 'info', ...env })
  const lines: Array<Record<string, unknown>> = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  const runtime = await openRuntime(config, { logger: createLogger(config, { destination }), poolMax: 4 })
  t.teardown(() => runtime.close())
  return { runtime, db, lines }
}

function event(type: string) {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data: {},
    metadata: {
      actor: { id: 'system:test', roles: [] },
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      causationId: null,
      prevHash: '0'.repeat(64),
      hash: '0'.repeat(64),
    },
  }
}

/** Ends the server sessions of this database other than the admin's own, as a PostgreSQL restart would. */
async function killSessions(url: string, database: string): Promise<number> {
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    const { rowCount } = await admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [database],
    )
    return rowCount ?? 0
  } finally {
    await admin.end()
  }
}

t.test('the pool keeps headroom for subscriptions on top of the connections asked for', async (t) => {
  const { runtime } = await open(t)
  t.equal(runtime.pool.options.max, 4 + SUBSCRIPTION_HEADROOM)
  // Every query connection busy, and a subscription still gets its own.
  const held = await Promise.all(Array.from({ length: 4 }, () => runtime.pool.connect()))
  t.teardown(() => held.forEach((client) => client.release()))
  const { position } = await runtime.eventStore.append('case-headroom', [event('CaseReported')])
  const subscription = runtime.eventStore.subscribeAll()
  for await (const delivered of subscription) {
    t.equal(delivered.position, position)
    break
  }
})

t.test('a PostgreSQL session that dies, idle in the pool or checked out, does not end the process', async (t) => {
  const { runtime, db, lines } = await open(t)
  const idle = await runtime.pool.connect()
  const checkedOut = await runtime.pool.connect() // a caller holds it between queries
  await Promise.all([idle.query('select 1'), checkedOut.query('select 1')])
  idle.release() // back in the pool, idle
  t.ok((await killSessions(db.url, db.name)) >= 2, 'both sessions were terminated')
  // Without a listener on the checked-out client its 'error' event is an uncaught exception: this test would crash.
  await new Promise((resolve) => setTimeout(resolve, 200))
  checkedOut.release(true)
  t.ok(lines.filter((l) => l.msg === 'PostgreSQL connection failed').length >= 2, 'each failure was logged')
  t.notOk(lines.some((l) => JSON.stringify(l).includes(db.url)), 'no connection string in the logs')
  await runtime.pingDatabase() // the pool replaced the broken clients
  t.pass('the runtime still answers')
})

t.test('EVENTSTORE_URL selects the EventStoreDB adapter; without it events go to PostgreSQL', async (t) => {
  const standin = await startStandin()
  t.teardown(() => standin.close())
  const esdb = await open(t, { EVENTSTORE_URL: standin.url })
  const stream = `case-${randomUUID()}`
  await esdb.runtime.eventStore.append(stream, [event('CaseReported')])
  t.equal(standin.log.stream(stream)?.length, 1, 'the event is in EventStoreDB')
  const tables = await esdb.runtime.pool.query("select 1 from information_schema.tables where table_name = 'events'")
  t.equal(tables.rowCount, 0, 'no PostgreSQL event table was created')
  t.ok(esdb.lines.some((l) => l.msg === 'events are stored in EventStoreDB'))
  t.notOk(esdb.lines.some((l) => JSON.stringify(l).includes(standin.url)), 'the connection string is not logged')

  const postgres = await open(t)
  await postgres.runtime.eventStore.append(stream, [event('CaseReported')])
  const stored = await postgres.runtime.pool.query('select count(*)::int as n from events where stream_id = $1', [stream])
  t.equal(stored.rows[0].n, 1, 'the event is in PostgreSQL')
})
