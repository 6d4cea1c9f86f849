import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, openRuntime, signToken, type HttpServer } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'
import pg from 'pg'
import t, { type Test } from 'tap'
import { buildServer } from '../src/server.js'

/**
 * A database that does not answer in time (issue 16 item 4): the command answers 503 UNAVAILABLE within
 * REQUEST_TIMEOUT_MS, and a write that timed out is either not in the store, or found under its Idempotency-Key
 * when the client retries — never appended twice.
 */

const SECRET = 'test-secret-that-is-long-enough-for-hs256'
const REQUEST_TIMEOUT_MS = 3000
/** What a loaded two-core machine may add to a timer before the answer is seen; not a synchronisation device. */
const SCHEDULING_SLACK_MS = 1500

async function setup(t: Test, env: Record<string, string>) {
  const db = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-timeouts-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    JWT_SECRET: SECRET,
    LOG_LEVEL: 'silent',
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    ...env,
  })
  const runtime = await openRuntime(config, { poolMax: 4 })
  t.teardown(() => runtime.close())
  const app = await buildServer(config, runtime)
  t.teardown(() => app.close())
  await app.ready()
  const admin = new pg.Client({ connectionString: db.url })
  await admin.connect()
  t.teardown(() => admin.end())
  return { app, runtime, admin, token: await signToken(SECRET, { sub: 'staff-1', roles: ['staff'] }) }
}

async function report(app: HttpServer, token: string, key: string) {
  const began = Date.now()
  const res = await app.inject({
    method: 'POST',
    url: '/v1/cases',
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
    payload: {
      kind: 'repair',
      category: 'lift',
      title: 'Lift 2 stops',
      description: 'Lift 2 stops between the 5th and 6th floor.',
      channel: 'app',
      location: { building: '3', unit: '1' },
      reporterId: 'resident-1',
    },
  })
  return { res, took: Date.now() - began }
}

/** Retries as a client would after a 503 until the command is answered otherwise (bounded). */
async function retryUntilAnswered(app: HttpServer, token: string, key: string) {
  for (let attempt = 1; attempt <= 20; attempt++) {
    const { res } = await report(app, token, key)
    if (res.statusCode !== 503) return { res, attempts: attempt }
  }
  throw new Error('still 503 after 20 retries')
}

async function eventsUnderKey(admin: pg.Client, key: string) {
  const { rows } = await admin.query<{ stream_id: string; position: string }>(
    `select stream_id, position::text from events where metadata->>'idempotencyKey' = $1`,
    [key],
  )
  return rows
}

t.test('an append blocked past statement_timeout answers 503 and commits nothing; the retry under the key appends once', async (t) => {
  const { app, admin, token } = await setup(t, { DATABASE_STATEMENT_TIMEOUT_MS: '1000' })
  // Another session holds the events table: the append waits on its lock until PostgreSQL cancels it.
  await admin.query('begin')
  await admin.query('lock table events in access exclusive mode')
  const { res, took } = await report(app, token, 'blocked-1')
  t.equal(res.statusCode, 503)
  t.equal((res.json() as { code: string }).code, 'UNAVAILABLE')
  t.ok(took < REQUEST_TIMEOUT_MS + SCHEDULING_SLACK_MS, `answered in ${took} ms`)
  await admin.query('rollback')
  t.same(await eventsUnderKey(admin, 'blocked-1'), [], 'not committed')

  const { res: retried } = await retryUntilAnswered(app, token, 'blocked-1')
  t.equal(retried.statusCode, 201, 'the retry runs the command')
  const events = await eventsUnderKey(admin, 'blocked-1')
  t.equal(events.length, 1, 'exactly one event')
  t.equal((retried.json() as { position: string }).position, events[0]?.position)
})

t.test('an append the client gave up on but PostgreSQL committed is found under its key on retry, not appended again', async (t) => {
  const { app, admin, token } = await setup(t, { DATABASE_QUERY_TIMEOUT_MS: '500', DATABASE_STATEMENT_TIMEOUT_MS: '10000' })
  // The insert takes 1.5 s on the server: longer than the client waits (500 ms), shorter than the server allows.
  await admin.query(`
    create function slow_insert() returns trigger language plpgsql as $$ begin perform pg_sleep(1.5); return new; end $$;
    create trigger slow_insert before insert on events for each row execute function slow_insert();`)
  const { res, took } = await report(app, token, 'late-1')
  t.equal(res.statusCode, 503, 'the client is told to retry')
  t.ok(took < REQUEST_TIMEOUT_MS + SCHEDULING_SLACK_MS, `answered in ${took} ms`)
  // The server finishes the insert after the client left: wait for that commit, as the retry will meet it.
  for (let i = 0; (await eventsUnderKey(admin, 'late-1')).length === 0; i++) {
    if (i > 200) throw new Error('the late append never committed')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await admin.query('drop trigger slow_insert on events; drop function slow_insert()')

  const { res: retried } = await retryUntilAnswered(app, token, 'late-1')
  t.equal(retried.statusCode, 201, 'the retry answers the command')
  const events = await eventsUnderKey(admin, 'late-1')
  t.equal(events.length, 1, 'from the event committed late: nothing appended twice')
  const answer = retried.json() as { id: string; position: string }
  t.equal(`case-${answer.id}`, events[0]?.stream_id)
  t.equal(answer.position, events[0]?.position)
})
