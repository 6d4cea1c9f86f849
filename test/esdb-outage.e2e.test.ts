import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { commandApp } from '@pc/command-api'
import type { DeliveredEvent } from '@pc/event-store'
import { exportPrivateKeyPem, generateSigningKeyPair } from '@pc/ledger'
import { createHttpServer, loadConfig, openRuntime, signToken, type HttpServer } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'
import { startProjector } from '@pc/projector'
import { contextProjections, contexts } from '@pc/contexts'
import { createReadModelDatabase, perEvent, waitForProjections, type Projection } from '@pc/read-models'
import { LEDGER_CHECKPOINT_STREAM, readHeads, signerFromPem } from '@pc/read-models/ledger'
import { sql } from 'kysely'
import t from 'tap'
import { auditStore } from '../services/cli/src/commands/audit.command.js'
import { startStandin } from './esdb-standin/standin.js'

/**
 * Issue 8's outage test, on the whole write-and-project path with EventStoreDB played by the gRPC stand-in: the
 * command API and the projector (every read model, the signed ledger included) run on one runtime with
 * `EVENTSTORE_URL` set; the projector's `$all` subscription runs on the EventStoreDB adapter while its checkpoints
 * stay in PostgreSQL. Mid-run the stand-in stops (every connection dropped, as in a crash) and starts again on the
 * same port with its data. While it is down, commands answer 503 UNAVAILABLE at once and `/health/ready` names the
 * event store; once it is back, commands and projections carry on without a restart, and the read models hold
 * every event exactly once.
 */

const SECRET = 'outage-test-secret-that-is-long-enough'
const PROBE = 'esdb-outage-probe'

/** Records every event each time it is handed over, with no unique key: a redelivery would show as a second row. */
const probe: Projection = {
  name: PROBE,
  version: 1,
  tables: ['outage_probe'],
  handle: perEvent(async (trx, event) => {
    await sql`insert into outage_probe (event_id, position) values (${event.eventId}, ${event.position.toString()})`.execute(trx)
  }),
}

t.test('EventStoreDB outage: 503 while down, then commands and projections resume, nothing lost or repeated', async (t) => {
  const standin = await startStandin()
  t.teardown(() => standin.close())
  const { url } = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-esdb-outage-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({ DATABASE_URL: url, DATA_DIR: dataDir, JWT_SECRET: SECRET, LOG_LEVEL: 'silent', EVENTSTORE_URL: standin.url })
  const runtime = await openRuntime(config, { poolMax: 4 })
  t.teardown(() => runtime.close())

  await runtime.pool.query('create table outage_probe (event_id uuid not null, position bigint not null)')
  const signer = signerFromPem(exportPrivateKeyPem(generateSigningKeyPair().privateKey))
  const projections = [...contextProjections(contexts, { ledger: { signer, headEvery: 10 } }), probe]
  const projector = await startProjector(runtime, {
    projections,
    leasePollMs: 50,
    retryDelayMs: 100,
    ledger: { signer, headSeconds: 3600 },
  })
  t.teardown(() => projector.stop())

  const app: HttpServer = await createHttpServer(config, runtime)
  await app.register(commandApp, { db: runtime.db, store: runtime.eventStore, config, vault: runtime.vault })
  t.teardown(() => app.close())
  const authorization = `Bearer ${await signToken(SECRET, { sub: 'staff-1', roles: ['staff'] })}`
  const db = createReadModelDatabase({ connectionString: url, max: 2 })
  t.teardown(() => db.destroy())

  const cases: string[] = []
  let lastPosition = 0n
  /** Reports a case and acknowledges it: two events on a new stream. */
  async function reportAndAcknowledge(i: number): Promise<void> {
    const report = await app.inject({
      method: 'POST',
      url: '/v1/cases',
      headers: { authorization },
      payload: { kind: 'repair', category: 'lift', title: `Lift ${i} stuck`, description: 'Stops between floors', channel: 'patrol', location: { building: String(i) } },
    })
    t.equal(report.statusCode, 201, `case ${i} reported`)
    const { id } = report.json<{ id: string }>()
    const ack = await app.inject({ method: 'POST', url: `/v1/cases/${id}/acknowledge`, headers: { authorization }, payload: {} })
    t.equal(ack.statusCode, 200, `case ${i} acknowledged`)
    cases.push(id)
    lastPosition = BigInt(ack.json<{ position: string }>().position)
  }

  for (let i = 0; i < 15; i++) await reportAndAcknowledge(i)

  // Down, while the projector is most likely still working through what was just written.
  await standin.stop()
  const started = Date.now()
  const refused = await app.inject({
    method: 'POST',
    url: '/v1/cases',
    headers: { authorization },
    payload: { kind: 'repair', category: 'lift', title: 'During the outage', description: 'x', channel: 'patrol', location: { building: '9' } },
  })
  t.equal(refused.statusCode, 503)
  t.match(refused.json(), { code: 'UNAVAILABLE', status: 503 })
  t.ok(Date.now() - started < 2_000, `refused in ${Date.now() - started} ms, not after a long hang`)
  const notReady = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(notReady.statusCode, 503)
  t.same(notReady.json(), { status: 'unavailable', checks: { database: 'up', eventStore: 'down' } }, 'readiness names the event store')
  await new Promise((resolve) => setTimeout(resolve, 300)) // the projector's subscription retries against a closed port

  // Back, on the same port with the same data: no restart of anything else.
  await standin.start()
  // The client may still be in its reconnect backoff for a moment: ready once the store answers it again.
  const readyBy = Date.now() + 10_000
  let ready = await app.inject({ method: 'GET', url: '/health/ready' })
  while (ready.statusCode !== 200 && Date.now() < readyBy) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    ready = await app.inject({ method: 'GET', url: '/health/ready' })
  }
  t.same(ready.json(), { status: 'ready', checks: { database: 'up', eventStore: 'up' } })
  for (let i = 15; i < 25; i++) await reportAndAcknowledge(i)

  const names = projections.map((p) => p.name)
  t.ok(await waitForProjections(db, runtime.eventStore, names, lastPosition, { timeoutMs: 15_000 }), 'every projection caught up')
  // The head worker appends the signed heads to `ledger-checkpoints` in EventStoreDB, once a second here.
  const unpublished = async () => (await readHeads(db)).filter((head) => head.publishedPosition === null).length
  const until = Date.now() + 10_000
  while ((await unpublished()) > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(await unpublished(), 0, 'every signed head was published to EventStoreDB')
  const log: DeliveredEvent[] = []
  for await (const event of runtime.eventStore.readAll()) log.push(event)
  t.ok(await waitForProjections(db, runtime.eventStore, names, log.at(-1)!.position, { timeoutMs: 15_000 }), 'and projected')
  t.same(projector.status().map((s) => s.state), names.map(() => 'running'), 'no projection failed')

  // Every event in the log, exactly once, in each read model.
  const caseEvents = log.filter((e) => e.streamId.startsWith('case-'))
  t.equal(caseEvents.length, 50, 'the log holds the 25 acknowledged reports and nothing from the refused command')

  const probed = await runtime.pool.query<{ event_id: string }>('select event_id from outage_probe order by position')
  t.same(probed.rows.map((r) => r.event_id), log.map((e) => e.eventId), 'each event handed to the projections once, in order')

  // The ledger leaves out its own heads (the `ledger-checkpoints` stream): they describe the tree.
  const ledgered = log.filter((e) => e.streamId !== LEDGER_CHECKPOINT_STREAM)
  t.equal(log.length - ledgered.length, (await readHeads(db)).length, 'one TreeHeadSigned event per head')
  const leaves = await runtime.pool.query<{ event_id: string; position: string }>('select event_id, position from ledger_leaves order by leaf_index')
  t.same(leaves.rows.map((r) => r.event_id), ledgered.map((e) => e.eventId), 'the ledger has one leaf per event, in delivery order')
  t.ok(leaves.rows.every((r, i) => BigInt(r.position) === ledgered[i]!.position), 'leaf positions are the exact EventStoreDB positions')

  const listed = await runtime.pool.query<{ case_id: string }>('select case_id from case_list')
  t.same(listed.rows.map((r) => r.case_id).sort(), [...cases].sort(), 'the case list has every case once')
  const timeline = await runtime.pool.query<{ n: number; distinct: number }>(
    'select count(*)::int as n, count(distinct event_id)::int as distinct from case_timeline',
  )
  t.same(timeline.rows[0], { n: 50, distinct: 50 }, 'the timeline has every case event once')
  const statuses = await runtime.pool.query<{ status: string; n: number }>('select status, count(*)::int as n from case_list group by status')
  t.same(statuses.rows, [{ status: 'acknowledged', n: 25 }])

  // The ledger on EventStoreDB: heads signed over the tree, and the audit agrees with the live store.
  t.ok((await readHeads(db)).length >= 5, 'heads were signed every 10 events')
  const audit = await auditStore({ store: runtime.eventStore, db, publicKeyPems: [signer.publicKeyPem] })
  t.equal(audit.ok, true, audit.summary)
})
