import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql, type Kysely } from 'kysely'
import { createPostgresEventStore } from '@pc/event-store'
import { testDatabase } from '@pc/postgres/testing'
import {
  createReadModelDatabase,
  migrateReadModels,
  ProjectionRunner,
  readCheckpoint,
  readModelProjections,
  waitForProjections,
  type Database,
} from '@pc/read-models'
import { appendHistories, generateCaseHistories } from '../../../packages/read-models/test/support/case-history.js'
import { runCli } from '../src/cli.js'

const PROJECTIONS = readModelProjections()
const NAMES = PROJECTIONS.map((p) => p.name)

/** Every row of every read-model table, each table's rows in a canonical order: what "row for row" compares. */
async function snapshot(db: Kysely<Database>): Promise<Record<string, string[]>> {
  const tables: Record<string, string[]> = {}
  for (const table of PROJECTIONS.flatMap((p) => p.tables)) {
    const { rows } = await sql.raw(`select * from ${table}`).execute(db)
    tables[table] = rows.map((row) => JSON.stringify(row)).sort()
  }
  return tables
}

async function cli(args: string[], env: Record<string, string>) {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(['rebuild', ...args], { env, out: (l) => out.push(l), err: (l) => err.push(l) })
  return { code, out, err: err.join('\n') }
}

const { url, name } = await testDatabase(t)
const dataDir = await mkdtemp(join(tmpdir(), 'pc-cli-rebuild-'))
t.teardown(() => rm(dataDir, { recursive: true, force: true }))
const env = { DATABASE_URL: url, DATA_DIR: dataDir, LOG_LEVEL: 'silent', JWT_SECRET: 'x'.repeat(40) }
const db = createReadModelDatabase({ connectionString: url, max: 4 })
t.teardown(() => db.destroy())
await sql.raw(`alter database ${name} set synchronous_commit = off`).execute(db)
const store = await createPostgresEventStore({ connectionString: url, pollIntervalMs: 20 })
t.teardown(() => store.close())
await migrateReadModels(db)

t.test('usage errors name what is wrong and list the projections', async (t) => {
  for (const args of [[], ['--all', 'case-list'], ['--everything']]) {
    const run = await cli(args, env)
    t.equal(run.code, 2, `rebuild ${args.join(' ')}`)
    t.match(run.err, /projections: case-list, case-timeline/)
  }
  const unknown = await cli(['case-lists'], env)
  t.equal(unknown.code, 2)
  t.match(unknown.err, /no projection named case-lists; known: case-list/)
})

t.test('rebuild --all while the projector runs: every read model equals the incrementally built one, row for row', async (t) => {
  const cases = generateCaseHistories({ cases: 60, seed: 11 })
  await appendHistories(store, cases)
  const runner = new ProjectionRunner({ db, store, connectionString: url, projections: PROJECTIONS, leasePollMs: 50 })
  runner.start()
  t.teardown(() => runner.stop())
  t.ok(await waitForProjections(db, store, NAMES, await marker(), { timeoutMs: 15_000 }), 'built incrementally')
  const incremental = await snapshot(db)
  t.ok(incremental.case_timeline!.length > 300, `${incremental.case_timeline!.length} timeline rows`)

  // A row changed behind the projections' back: only a rebuild from the log puts it right.
  await sql`update case_list set title = 'tampered'`.execute(db)
  const run = await cli(['--all'], env)
  t.equal(run.code, 0, run.err)
  t.same(run.out.map((line) => line.split(':')[0]), NAMES.map((n) => `rebuilt ${n}`), 'one line per projection')
  t.same(await snapshot(db), incremental, 'the rebuilt tables equal the incremental ones')

  // The live runner carries on from the swapped-in checkpoints.
  const more = generateCaseHistories({ cases: 5, seed: 12 })
  await appendHistories(store, more)
  t.ok(await waitForProjections(db, store, NAMES, await marker(), { timeoutMs: 15_000 }))
  const { rows } = await sql<{ n: string }>`select count(*) as n from case_list`.execute(db)
  t.equal(Number(rows[0]?.n), cases.length + more.length)
})

t.test('rebuild <projection> rebuilds only that one', async (t) => {
  const before = await readCheckpoint(db, 'case-timeline')
  await sql`update case_list set title = 'tampered again'`.execute(db)
  await sql`update case_timeline set summary = 'tampered'`.execute(db)
  const run = await cli(['case-list'], env)
  t.equal(run.code, 0, run.err)
  t.equal(run.out.length, 1)
  t.match(run.out[0], /^rebuilt case-list: \d+ events in [\d.]+ s, at position \d+$/)
  const titles = await sql<{ n: string }>`select count(*) as n from case_list where title like 'tampered%'`.execute(db)
  t.equal(titles.rows[0]?.n, '0', 'case_list rebuilt')
  const summaries = await sql<{ n: string }>`select count(*) as n from case_timeline where summary <> 'tampered'`.execute(db)
  t.equal(summaries.rows[0]?.n, '0', 'case_timeline left alone')
  t.same(await readCheckpoint(db, 'case-timeline'), before)
})

/** An event appended after everything before it committed: waiting for it waits for all of them. */
async function marker(): Promise<bigint> {
  const { position } = await store.append(`marker-${crypto.randomUUID()}`, [
    { ...generateCaseHistories({ cases: 1, seed: 1 })[0]!.events[0]!, eventId: crypto.randomUUID(), type: 'Marker', data: {} },
  ])
  return position
}
