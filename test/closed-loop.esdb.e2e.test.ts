import t, { type Test } from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildStack, runCli } from '@pc/cli'
import { loadConfig, openRuntime, type Runtime } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'
import { loadProjectorConfig, projectorOptions } from '@pc/projector'
import { contextProjections, contexts } from '@pc/contexts'
import { startStandin, type Standin } from './esdb-standin/standin.js'
import { closedLoopTokens, httpClient, manualClock, readEverything, runClosedLoop, type Answers, type HttpClient, type ManualClock } from './support/closed-loop.js'

/**
 * Issue 8: the closed loop of `closed-loop.e2e.test.ts`, unchanged, with `EVENTSTORE_URL` pointing at the gRPC
 * stand-in — so every command appends through the EventStoreDB adapter and the real `@eventstore/db-client` over a
 * socket, the projector (read models, SLA worker, ledger) follows `$all` through a catch-up subscription, and
 * `cli rebuild --all` replays from EventStoreDB. The read models and their checkpoints stay in PostgreSQL.
 */

interface EsdbStack {
  standin: Standin
  runtime: Runtime
  env: Record<string, string>
  secret: string
  client: HttpClient
  clock: ManualClock
}

/** The stand-in, a fresh database, and the whole stack as `pnpm start` builds it, listening on a free port. */
async function esdbStack(t: Test): Promise<EsdbStack> {
  const standin = await startStandin()
  t.teardown(() => standin.close())
  const database = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-closed-loop-esdb-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const env = {
    EVENTSTORE_URL: standin.url,
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    JWT_SECRET: 'closed-loop-on-eventstoredb-'.padEnd(48, 'y'),
  }
  const config = loadConfig(env)
  const runtime = await openRuntime(config)
  t.teardown(() => runtime.close())
  const clock = manualClock()
  const options = await projectorOptions(config, runtime, loadProjectorConfig({ PROJECTOR_LEASE_POLL_MS: '50' }))
  const app = await buildStack(config, runtime, { query: { now: clock.now }, projector: { ...options, sla: { now: clock.now, intervalMs: 100 } } })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { standin, runtime, env, secret: env.JWT_SECRET, client: httpClient(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`), clock }
}

t.test('the closed loop with EVENTSTORE_URL on the stand-in: same answers, events in EventStoreDB', async (t) => {
  const { standin, runtime, env, secret, client, clock } = await esdbStack(t)
  const loop = await runClosedLoop(t, client, { tokens: await closedLoopTokens(secret), clock })

  // Where the events went: the stand-in's log, not PostgreSQL.
  t.same(
    standin.log.stream(`case-${loop.caseId}`)?.map((record) => record.revision),
    [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n],
    'the loop case is a stream of nine events in EventStoreDB',
  )
  t.equal(standin.log.stream(`case-${loop.breachedCaseId}`)?.length, 3, "with the SLA worker's events on the breached case")
  const eventsTable = await runtime.pool.query("select 1 from information_schema.tables where table_name = 'events'")
  t.equal(eventsTable.rowCount, 0, 'no event table in PostgreSQL')

  let live: Answers = {}
  await t.test('every query, from the read models projected from $all', async (t) => {
    live = await readEverything(t, client, loop)
  })

  const lines: { out: string[]; err: string[] } = { out: [], err: [] }
  const code = await runCli(['rebuild', '--all'], { env, out: (line) => lines.out.push(line), err: (line) => lines.err.push(line) })
  t.equal(code, 0, lines.err.join('\n'))
  t.same(lines.out.map((line) => line.split(':')[0]), contextProjections(contexts).map((p) => `rebuilt ${p.name}`), 'every read model replayed from EventStoreDB')

  let rebuilt: Answers = {}
  await t.test('every query, after the rebuild', async (t) => {
    rebuilt = await readEverything(t, client, loop)
  })
  t.ok(Object.keys(live).length >= 15, `${Object.keys(live).length} queries`)
  t.same(rebuilt, live, 'the same answers after replaying EventStoreDB')
})
