import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildServer } from '@pc/command-api'
import { loadConfig, openRuntime, signToken, type HttpServer } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'
import { sql } from 'kysely'
import t, { type Test } from 'tap'
import { IdempotencyPurge } from '../src/idempotency-purge.js'

/** Idempotency keys expire (issue 16 item 9): replayed within `IDEMPOTENCY_TTL_HOURS`, new after the purge. */

const SECRET = 'test-secret-that-is-long-enough-for-hs256'
const HOUR = 3_600_000

async function setup(t: Test) {
  const db = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-purge-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({ DATABASE_URL: db.url, DATA_DIR: dataDir, JWT_SECRET: SECRET, LOG_LEVEL: 'silent' })
  const runtime = await openRuntime(config, { poolMax: 4 })
  t.teardown(() => runtime.close())
  const app = await buildServer(config, runtime)
  t.teardown(() => app.close())
  await app.ready()
  const token = await signToken(SECRET, { sub: 'staff-1', roles: ['staff'] })
  return { app, runtime, token }
}

function report(app: HttpServer, token: string, key: string, title: string) {
  return app.inject({
    method: 'POST',
    url: '/v1/cases',
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
    payload: {
      kind: 'repair',
      category: 'lift',
      title,
      description: 'Lift 2 stops between the 5th and 6th floor.',
      channel: 'app',
      location: { building: '3', unit: '1' },
      reporterId: 'resident-1',
    },
  })
}

t.test('a key is replayed within its TTL and is new once the purge has passed it', async (t) => {
  const { app, runtime, token } = await setup(t)
  let clock = new Date()
  const purge = new IdempotencyPurge({ db: runtime.db, ttlHours: 24, now: () => clock })

  const first = await report(app, token, 'lift-1', 'Lift 2 stops')
  t.equal(first.statusCode, 201)
  const { id } = first.json() as { id: string }

  clock = new Date(Date.now() + 23 * HOUR)
  t.equal(await purge.purgeOnce(), 0, '23 h later the key is kept')
  const replay = await report(app, token, 'lift-1', 'Lift 2 stops')
  t.equal(replay.statusCode, 201)
  t.equal(replay.headers['idempotent-replayed'], 'true', 'within the TTL: the first answer again')
  t.equal((replay.json() as { id: string }).id, id)
  t.equal((await report(app, token, 'lift-1', 'Something else')).statusCode, 422, 'and still bound to its first request')

  clock = new Date(Date.now() + 25 * HOUR)
  t.equal(await purge.purgeOnce(), 1, '25 h later the key is purged')
  const fresh = await report(app, token, 'lift-1', 'Something else')
  t.equal(fresh.statusCode, 201, 'the key is new: another request runs under it')
  t.notOk(fresh.headers['idempotent-replayed'])
  const freshId = (fresh.json() as { id: string }).id
  t.not(freshId, id, 'and names a new case, not the old one')

  const count = async (streamId: string) => {
    let n = 0
    for await (const _ of runtime.eventStore.readStream(streamId)) n++
    return n
  }
  t.equal(await count(`case-${id}`), 1, 'the first case is untouched')
  t.equal(await count(`case-${freshId}`), 1)
})

t.test('the purge deletes in batches, only what is older than the TTL, pending claims included', async (t) => {
  const { runtime } = await setup(t)
  await sql`
    insert into command_idempotency (actor_id, key, fingerprint, status_code, response, claimed_at, completed_at)
    select 'u', 'old-' || i, 'f', 201, '{}', now() - interval '30 hours', now() - interval '30 hours'
      from generate_series(1, 2500) i`.execute(runtime.db)
  await sql`
    insert into command_idempotency (actor_id, key, fingerprint, claimed_at)
    values ('u', 'abandoned', 'f', now() - interval '30 hours'), ('u', 'running', 'f', now())`.execute(runtime.db)
  await sql`
    insert into command_idempotency (actor_id, key, fingerprint, status_code, response, claimed_at, completed_at)
    values ('u', 'recent', 'f', 201, '{}', now() - interval '30 hours', now() - interval '1 hour')`.execute(runtime.db)

  let statements = 0
  const counted = runtime.db.withPlugin({
    transformQuery: (args) => ((statements += 1), args.node),
    transformResult: async (args) => args.result,
  })
  const purge = new IdempotencyPurge({ db: counted, ttlHours: 24, batchSize: 1000 })
  t.equal(await purge.purgeOnce(), 2501, 'every expired key and the abandoned claim')
  t.equal(statements, 3, 'in batches of 1000')
  const { rows } = await sql<{ key: string }>`select key from command_idempotency order by key`.execute(runtime.db)
  t.same(rows.map((r) => r.key), ['recent', 'running'], 'a key answered within the TTL and a live claim stay')
})
