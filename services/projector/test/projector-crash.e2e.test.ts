import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql, type Kysely } from 'kysely'
import { createPostgresEventStore } from '@pc/event-store'
import { testDatabase } from '@pc/postgres/testing'
import {
  caseProjections,
  createReadModelDatabase,
  migrateReadModels,
  rebuildProjection,
  waitForProjections,
  type Database,
} from '@pc/read-models'
import { appendHistories, generateCaseHistories, prng } from '../../../packages/read-models/test/support/case-history.js'

const CHILD = fileURLToPath(new URL('./support/projector-child.ts', import.meta.url))
const NAMES = caseProjections.map((p) => p.name)

async function snapshot(db: Kysely<Database>) {
  const q = async (text: string) => (await sql.raw(text).execute(db)).rows
  return {
    list: await q('select * from case_list order by case_id'),
    timeline: await q('select * from case_timeline order by case_id, revision'),
    sla: await q('select * from case_sla order by case_id'),
    figures: await q('select * from case_figures_cases order by case_id'),
  }
}

t.test('projector killed with SIGKILL at random points over 10,000 events: the read models equal a clean rebuild', async (t) => {
  const { url, name } = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-crash-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const db = createReadModelDatabase({ connectionString: url, max: 6 })
  t.teardown(() => db.destroy())
  // Commits need not wait for the disk: the test kills projector processes, never the server. (Set before the
  // store opens its connections; a database setting applies to sessions that start after it.)
  await sql.raw(`alter database ${name} set synchronous_commit = off`).execute(db)
  const store = await createPostgresEventStore({ connectionString: url, pollIntervalMs: 50 })
  t.teardown(() => store.close())
  await migrateReadModels(db)

  const cases = generateCaseHistories({ cases: 880, seed: 4242 })
  const total = cases.reduce((n, c) => n + c.events.length, 0)
  t.ok(total >= 10_000, `${total} events`)

  let child: ChildProcess | undefined
  const children: ChildProcess[] = []
  t.teardown(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')))
  const spawnChild = () =>
    new Promise<ChildProcess>((resolve, reject) => {
      const c = spawn(process.execPath, ['--import', 'tsx', CHILD], {
        env: { ...process.env, DATABASE_URL: url, DATA_DIR: dataDir },
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      children.push(c)
      c.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('started')) resolve(c)
      })
      c.once('exit', (code, signal) => reject(new Error(`projector child exited early (${code ?? signal})`)))
    })
  const kill = (c: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve()
      c.once('exit', () => resolve())
      c.kill('SIGKILL')
    })

  // Writers append while projector processes are started and killed at random moments.
  const writing = (async () => {
    for (let i = 0; i < cases.length; i += 40) await appendHistories(store, cases.slice(i, i + 40), 4)
  })()
  const random = prng(7)
  const started = async (starting: Promise<ChildProcess>) => {
    const c = await starting
    c.removeAllListeners('exit')
    return c
  }
  let kills = 0
  child = await started(spawnChild())
  for (; kills < 6; kills++) {
    // The next process boots while this one works, and stands by on the leases: it takes over at the kill, as a
    // standby instance would, instead of the test waiting for a cold start each time.
    const next = spawnChild()
    next.catch(() => undefined)
    await new Promise((r) => setTimeout(r, 200 + Math.floor(random() * 1500)))
    await kill(child)
    child = await started(next)
  }
  await writing
  const { position } = await store.append('marker-1', [
    { ...cases[0]!.events[0]!, eventId: crypto.randomUUID(), type: 'Marker', data: {} },
  ])
  t.ok(await waitForProjections(db, store, NAMES, position, { timeoutMs: 45_000 }), 'after the restarts every projection caught up')
  await kill(child)
  t.equal(kills, 6, 'six projector processes were killed mid-work')

  const afterCrashes = await snapshot(db)
  t.equal(afterCrashes.timeline.length, total, 'every event applied exactly once (one timeline row each)')
  t.equal(afterCrashes.list.length, cases.length)
  // The four rebuilds at once (each on its own fresh schema); a pool large enough for their pinned sessions.
  const rebuildDb = createReadModelDatabase({ connectionString: url, max: 4 * caseProjections.length })
  t.teardown(() => rebuildDb.destroy())
  await Promise.all(caseProjections.map((projection) => rebuildProjection({ db: rebuildDb, store, projection })))
  const clean = await snapshot(db)
  t.same(afterCrashes.list, clean.list, 'case_list equals a clean rebuild, row for row')
  t.same(afterCrashes.timeline, clean.timeline, 'case_timeline equals a clean rebuild, row for row')
  t.same(afterCrashes.sla, clean.sla, 'case_sla equals a clean rebuild, row for row')
  t.same(afterCrashes.figures, clean.figures, 'case_figures_cases equals a clean rebuild, row for row')
})
