import t from 'tap'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { contextProjections, contexts } from '@pc/contexts'
import { createPostgresEventStore } from '@pc/event-store'
import { testDatabase } from '@pc/postgres/testing'
import {
  createReadModelDatabase,
  migrateReadModels,
  ProjectionRunner,
  readCheckpoint,
  waitForProjections,
} from '@pc/read-models'
import { appendHistories, generateCaseHistories } from '../../../packages/read-models/test/support/case-history.js'
import { runCli } from '../src/cli.js'

const PROJECTIONS = contextProjections(contexts)
const NAMES = PROJECTIONS.map((p) => p.name)

/** Every row of every read-model table, each table's rows in a canonical order: what "row for row" compares. */
async function snapshot(): Promise<Record<string, string[]>> {
  const tables: Record<string, string[]> = {}
  for (const table of PROJECTIONS.flatMap((p) => p.tables)) {
    // Any table name will do at run time; the cast only satisfies the typed builder.
    const rows = await db.selectFrom(table as 'case_list').selectAll().execute()
    tables[table] = rows.map((row) => JSON.stringify(row)).sort()
  }
  return tables
}

async function cli(args: string[], env: Record<string, string>) {
  const out: string[] = []
  const err: string[] = []
  const progress: string[] = []
  const code = await runCli(['rebuild', ...args], {
    env,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    progress: { isTTY: false, write: (text: string) => void progress.push(text) },
  })
  return { code, out, err: err.join('\n'), progress }
}

const { url } = await testDatabase(t)
const dataDir = await mkdtemp(join(tmpdir(), 'pc-cli-rebuild-'))
t.teardown(() => rm(dataDir, { recursive: true, force: true }))
const env = { DATABASE_URL: url, DATA_DIR: dataDir, LOG_LEVEL: 'silent', JWT_SECRET: 'x'.repeat(40) }
const db = createReadModelDatabase({ connectionString: url, max: 4 })
t.teardown(() => db.destroy())
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
  const incremental = await snapshot()
  t.ok(incremental.case_timeline!.length > 300, `${incremental.case_timeline!.length} timeline rows`)

  // A row changed behind the projections' back: only a rebuild from the log puts it right.
  await db.updateTable('case_list').set({ title: 'tampered' }).execute()
  const run = await cli(['--all'], env)
  t.equal(run.code, 0, run.err)
  t.same(run.out.map((line) => line.split(':')[0]), NAMES.map((n) => `rebuilt ${n}`), 'one line per projection')
  t.same(await snapshot(), incremental, 'the rebuilt tables equal the incremental ones')

  // The live runner carries on from the swapped-in checkpoints.
  const more = generateCaseHistories({ cases: 5, seed: 12 })
  await appendHistories(store, more)
  t.ok(await waitForProjections(db, store, NAMES, await marker(), { timeoutMs: 15_000 }))
  t.equal((await db.selectFrom('case_list').select('case_id').execute()).length, cases.length + more.length)
})

t.test('rebuild <projection> rebuilds only that one', async (t) => {
  const before = await readCheckpoint(db, 'case-timeline')
  await db.updateTable('case_list').set({ title: 'tampered again' }).execute()
  await db.updateTable('case_timeline').set({ summary: 'tampered' }).execute()
  const run = await cli(['case-list'], env)
  t.equal(run.code, 0, run.err)
  t.equal(run.out.length, 1)
  t.match(run.out[0], /^rebuilt case-list: \d+ events in [\d.]+ s, at position \d+$/)
  t.equal(run.progress.length, 1, 'not a terminal: one progress summary')
  t.match(run.progress[0], /^rebuild: [1-9][\d,]* events in \d+\.\d s \([\d,]+ events\/s\)\n$/)
  const titles = await db.selectFrom('case_list').select('title').execute()
  t.ok(titles.length > 0 && titles.every((r) => !r.title.startsWith('tampered')), 'case_list rebuilt')
  const summaries = await db.selectFrom('case_timeline').select('summary').execute()
  t.ok(summaries.length > 0 && summaries.every((r) => r.summary === 'tampered'), 'case_timeline left alone')
  t.same(await readCheckpoint(db, 'case-timeline'), before)

  const quiet = await cli(['case-list', '--quiet'], env)
  t.equal(quiet.code, 0, quiet.err)
  t.same(quiet.progress, [], '--quiet: no progress summary')
  t.equal(quiet.out.length, 1, '--quiet: the result line still')
})

/** An event appended after everything before it committed: waiting for it waits for all of them. */
async function marker(): Promise<bigint> {
  const { position } = await store.append(`marker-${randomUUID()}`, [
    { ...generateCaseHistories({ cases: 1, seed: 1 })[0]!.events[0]!, eventId: randomUUID(), type: 'Marker', data: {} },
  ])
  return position
}
