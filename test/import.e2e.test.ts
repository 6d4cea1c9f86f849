import t, { type Test } from 'tap'
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { buildStack, runCli } from '@pc/cli'
import { contextProjections, contexts } from '@pc/contexts'
import { createEsdbEventStore, createPostgresEventStore, type DeliveredEvent, type EventStore } from '@pc/event-store'
import { exportFiles, loadPublicKeyPem, toHex, treeRoot, verifyTreeHead } from '@pc/ledger'
import { loadConfig, openRuntime } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'
import { loadProjectorConfig, projectorOptions } from '@pc/projector'
import { createReadModelDatabase, waitForProjections } from '@pc/read-models'
import { LEDGER_CHECKPOINT_STREAM, ledgerSubtreeSource, readHeads, readLeaves, signedHeadOf, type StoredHead } from '@pc/read-models/ledger'
import { startStandin } from './esdb-standin/standin.js'
import { closedLoopTokens, httpClient, manualClock, runClosedLoop } from './support/closed-loop.js'

/**
 * Issue 16, item 10 (restore): a store built through the real command path (the closed loop over HTTP, heads signed
 * every 5 leaves and published to `ledger-checkpoints`), exported with `cli export --all`, then `cli import` into a
 * fresh PostgreSQL and into a fresh EventStoreDB (the gRPC stand-in). Each restored store must hold the same log
 * (ids, streams, revisions, data, metadata and hashes, in the same delivery order), pass `cli audit` with the
 * exported public key, carry the old signed heads (which verify against its tree), and give the same read models
 * after `cli rebuild --all`. And `cli import` refuses a non-empty store, a tampered file, a missing file and a
 * stream export, with nothing written.
 */

/** A line of the export (what `cli export` writes for each event). */
interface ExportedEvent {
  eventId: string
  streamId: string
  revision: string
  type: string
  schemaVersion: number
  data: unknown
  metadata: unknown
  recordedAt: string
}

const SECRET = 'restore-from-an-export-'.padEnd(48, 'r')
const projectionTables = contextProjections(contexts).flatMap((p) => [...p.tables])

async function cli(args: string[], env: Record<string, string>) {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(args, { env, out: (line) => out.push(line), err: (line) => err.push(line) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

async function all(store: EventStore): Promise<DeliveredEvent[]> {
  const events: DeliveredEvent[] = []
  for await (const event of store.readAll()) events.push(event)
  return events
}

async function lines<T>(file: string): Promise<T[]> {
  return (await readFile(file, 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line) as T)
}

/**
 * Every read-model table, rows sorted, with each `position` replaced by the event it names (positions are the
 * store's own addresses: a restored store hands out new ones) and the delivery transaction id dropped likewise.
 */
async function readModels(url: string, events: readonly DeliveredEvent[]): Promise<Record<string, string[]>> {
  const eventAt = new Map(events.map((e) => [e.position.toString(), e.eventId]))
  const pool = new pg.Pool({ connectionString: url, max: 1 })
  try {
    const tables: Record<string, string[]> = {}
    for (const table of projectionTables) {
      const { rows } = await pool.query<{ row: Record<string, unknown> }>(`select to_jsonb(t) as row from ${table} t`)
      tables[table] = rows
        .map(({ row }) => {
          const { tx_id: _txId, ...rest } = row
          if (rest.position !== undefined && rest.position !== null) rest.position = eventAt.get(String(rest.position)) ?? `unknown ${rest.position}`
          return JSON.stringify(rest)
        })
        .sort()
    }
    return tables
  } finally {
    await pool.end()
  }
}

const eventOf = (e: DeliveredEvent | ExportedEvent) => ({
  eventId: e.eventId,
  streamId: e.streamId,
  revision: e.revision.toString(),
  type: e.type,
  schemaVersion: e.schemaVersion,
  data: e.data,
  metadata: e.metadata,
})

// ---------------------------------------------------------------------------------------------------------------
// The original: the whole stack on PostgreSQL, the closed loop through it, everything projected and published.

interface Original {
  env: Record<string, string>
  events: DeliveredEvent[]
  heads: StoredHead[]
  readModels: Record<string, string[]>
  /** The whole-log export, and the public key as the committee holds it (a copy made at export time). */
  file: string
  publicKeyFile: string
  work: string
}

async function buildOriginal(t: Test): Promise<Original> {
  const source = await testDatabase(t)
  const work = await mkdtemp(join(tmpdir(), 'pc-import-'))
  t.teardown(() => rm(work, { recursive: true, force: true }))
  const env = { DATABASE_URL: source.url, DATA_DIR: join(work, 'source'), LOG_LEVEL: 'silent', JWT_SECRET: SECRET }
  const config = loadConfig(env)
  const runtime = await openRuntime(config)
  let built: Omit<Original, 'file' | 'publicKeyFile' | 'work' | 'env'>
  try {
    const clock = manualClock()
    const projector = await projectorOptions(config, runtime, loadProjectorConfig({ PROJECTOR_LEASE_POLL_MS: '50', LEDGER_HEAD_EVERY: '5' }))
    const app = await buildStack(config, runtime, { query: { now: clock.now }, projector: { ...projector, sla: { now: clock.now, intervalMs: 100 } } })
    const db = createReadModelDatabase({ pool: runtime.pool })
    try {
      await app.listen({ port: 0, host: '127.0.0.1' })
      const client = httpClient(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`)
      const tokens = await closedLoopTokens(SECRET)
      await runClosedLoop(t, client, { tokens, clock })
      // More streams, written side by side so that their events interleave in $all; one with a sealed contact.
      const reports = await Promise.all(
        [1, 2, 3].map((i) =>
          client.request('POST', '/v1/cases', {
            token: tokens.otherResident,
            body: {
              kind: 'complaint',
              category: 'noise',
              title: `Drilling after 22:00, night ${i}`,
              description: 'From the flat above, most nights this week',
              channel: 'app',
              location: { building: 'B3', unit: '202' },
              ...(i === 1 && { reporter: { name: '李先生', phone: '139 0000 0000' } }),
            },
          }),
        ),
      )
      t.same(reports.map((r) => r.status), [201, 201, 201], 'three more cases reported')
      const notes = await Promise.all(
        reports.flatMap((r) =>
          ['Spoke to the neighbour', 'Asked for quiet hours'].map((body) =>
            client.request('POST', `/v1/cases/${(r.body as { id: string }).id}/note`, { token: tokens.staff, body: { body, visibility: 'public' } }),
          ),
        ),
      )
      t.ok(notes.every((n) => n.status === 200), 'and noted, twice each')
      // Settled: every projection has the last event, and every signed head is in `ledger-checkpoints` (publishing
      // one appends an event, so look again until nothing moves).
      const names = contextProjections(contexts).map((p) => p.name)
      const deadline = Date.now() + 30_000
      for (;;) {
        const last = (await all(runtime.eventStore)).at(-1)!
        if (!(await waitForProjections(db, runtime.eventStore, names, last.position, { timeoutMs: 20_000 }))) throw new Error('projections did not catch up')
        const unpublished = (await readHeads(db)).filter((h) => h.publishedRevision === null).length
        const still = (await all(runtime.eventStore)).at(-1)!
        if (unpublished === 0 && still.eventId === last.eventId) break
        if (Date.now() > deadline) throw new Error(`${unpublished} heads still unpublished`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    } finally {
      await app.close()
    }
    const events = await all(runtime.eventStore)
    built = { events, heads: await readHeads(db), readModels: await readModels(source.url, events) }
  } finally {
    await runtime.close()
  }

  const file = join(work, 'log.jsonl')
  const exported = await cli(['export', '--all', '--out', file], env)
  t.equal(exported.code, 0, exported.err)
  const publicKeyFile = join(work, 'committee.pub.pem')
  await copyFile(exportFiles(file).publicKey, publicKeyFile)
  return { ...built, env, file, publicKeyFile, work }
}

/** The checks every restored store must pass, whatever the adapter. */
async function checkRestored(t: Test, original: Original, env: Record<string, string>, options: { url: string; store: () => Promise<EventStore>; keepsRecordedAt: boolean }) {
  const imported = await cli(['import', '--in', original.file], env)
  t.equal(imported.code, 0, imported.err)
  t.match(imported.out, new RegExp(`^imported ${original.events.length} events in \\d+ streams`), imported.out)
  t.match(imported.out, `${original.heads.length} signed heads restored`)

  const store = await options.store()
  t.teardown(() => store.close())
  const restored = await all(store)
  t.same(restored.map(eventOf), original.events.map(eventOf), 'every event: id, stream, revision, type, data and metadata (hashes), in delivery order')
  if (options.keepsRecordedAt) t.same(restored.map((e) => e.recordedAt), original.events.map((e) => e.recordedAt), 'recordedAt kept')

  const audited = await cli(['audit', '--public-key', original.publicKeyFile], env)
  t.equal(audited.code, 0, audited.err)
  t.match(audited.out, /^audit ok: /)

  const rebuilt = await cli(['rebuild', '--all'], env)
  t.equal(rebuilt.code, 0, rebuilt.err)
  t.same(await readModels(options.url, restored), original.readModels, 'rebuild --all: every read model the same, row for row')

  const db = createReadModelDatabase({ connectionString: options.url, max: 2 })
  t.teardown(() => db.destroy())
  const leaves: string[] = []
  for await (const leaf of readLeaves(db)) leaves.push(leaf.eventId)
  t.same(
    leaves,
    original.events.filter((e) => e.streamId !== LEDGER_CHECKPOINT_STREAM).map((e) => e.eventId),
    'the same leaves in the same order',
  )
  const heads = await readHeads(db)
  t.same(heads.map(signedHeadOf), original.heads.map(signedHeadOf), 'the old signed heads are the ledger’s heads')
  t.ok(heads.every((h) => h.publishedRevision !== null), 'each marked published where its TreeHeadSigned now is')
  const key = loadPublicKeyPem(await readFile(original.publicKeyFile, 'utf8'))
  for (const head of original.heads) {
    t.ok(verifyTreeHead(signedHeadOf(head), key).ok, `head of size ${head.treeSize}: signature`)
    t.equal(toHex(await treeRoot(ledgerSubtreeSource(db), BigInt(head.treeSize))), head.rootHash, `head of size ${head.treeSize}: root of the new tree`)
  }
  const again = await cli(['audit', '--public-key', original.publicKeyFile], env)
  t.equal(again.code, 0, again.err)
  t.match(again.out, `${original.heads.length} signed heads verified`, 'every head checked')
  t.match(again.out, `${original.events.length - original.heads.length} match the ledger's stored leaves and nodes`)

  const twice = await cli(['import', '--in', original.file], env)
  t.equal(twice.code, 1, 'a second import is refused')
  t.match(twice.err, /^import refused: the event store is not empty .*nothing was written/)
  t.equal((await all(store)).length, original.events.length, 'and wrote nothing')
}

t.test('restore: cli export --all, then cli import into an empty store', async (t) => {
  const original = await buildOriginal(t)

  await t.test('the original has what a restore must reproduce', async (t) => {
    t.ok(new Set(original.events.map((e) => e.streamId)).size >= 4, 'several streams')
    t.ok(original.heads.length >= 3, `${original.heads.length} signed heads`)
    t.ok(original.events.some((e) => e.streamId === LEDGER_CHECKPOINT_STREAM), 'heads published to ledger-checkpoints')
    t.same((await lines<ExportedEvent>(original.file)).map(eventOf), original.events.map(eventOf), 'the export is the whole log in delivery order')
  })

  await t.test('cli import into a fresh PostgreSQL: the same log, ledger, heads and read models', async (t) => {
    const target = await testDatabase(t)
    const env = { DATABASE_URL: target.url, DATA_DIR: join(original.work, 'pg-target'), LOG_LEVEL: 'silent', JWT_SECRET: SECRET }
    await checkRestored(t, original, env, {
      url: target.url,
      store: () => createPostgresEventStore({ connectionString: target.url, migrate: false }),
      keepsRecordedAt: true,
    })
  })

  await t.test('cli import into a fresh EventStoreDB (the stand-in): the same log, ledger, heads and read models', async (t) => {
    const standin = await startStandin()
    t.teardown(() => standin.close())
    const target = await testDatabase(t)
    const env = { EVENTSTORE_URL: standin.url, DATABASE_URL: target.url, DATA_DIR: join(original.work, 'esdb-target'), LOG_LEVEL: 'silent', JWT_SECRET: SECRET }
    await checkRestored(t, original, env, {
      url: target.url,
      store: async () => createEsdbEventStore({ connectionString: standin.url }),
      // EventStoreDB stamps its own `created` time.
      keepsRecordedAt: false,
    })
  })

  await t.test('cli import refuses a file that does not verify, a missing file and a stream export, writing nothing', async (t) => {
    const target = await testDatabase(t)
    const env = { DATABASE_URL: target.url, DATA_DIR: join(original.work, 'refusals'), LOG_LEVEL: 'silent', JWT_SECRET: SECRET }
    const pool = new pg.Pool({ connectionString: target.url, max: 1 })
    t.teardown(() => pool.end())
    const empty = async (what: string) => {
      const events = await pool.query('select 1 from events limit 1').then((r) => r.rowCount, () => 0)
      const heads = await pool.query('select 1 from ledger_heads limit 1').then((r) => r.rowCount, () => 0)
      t.same({ events, heads }, { events: 0, heads: 0 }, `${what}: nothing written`)
    }

    // One byte: a hex digit of the event id of an event in the middle of the log.
    const tampered = join(original.work, 'tampered.jsonl')
    const text = await readFile(original.file, 'utf8')
    const middle = text.split('\n').slice(0, Math.floor(original.events.length / 2)).join('\n').length + 1
    const at = text.indexOf('"eventId":"', middle) + '"eventId":"'.length
    const changed = text.slice(0, at) + (text[at] === 'a' ? 'b' : 'a') + text.slice(at + 1)
    t.equal(changed.length, text.length)
    await writeFile(tampered, changed)
    for (const sidecar of ['head', 'publicKey', 'leaves'] as const) await copyFile(exportFiles(original.file)[sidecar], exportFiles(tampered)[sidecar])
    const bad = await cli(['import', '--in', tampered], env)
    t.equal(bad.code, 1)
    t.match(bad.err, /^import refused: .*tampered\.jsonl.*; the file does not verify, nothing was written$/)
    t.match(bad.err, /line \d+|event [0-9a-f-]{36}/, 'names where')
    await empty('a tampered file')

    const missing = await cli(['import', '--in', join(original.work, 'no-such-export.jsonl')], env)
    t.equal(missing.code, 1)
    t.match(missing.err, /^import refused: .*no-such-export\.jsonl: no such file; nothing was written$/)
    await empty('a missing file')

    const caseStream = original.events.find((e) => e.streamId.startsWith('case-'))!.streamId
    const streamFile = join(original.work, 'one-stream.jsonl')
    t.equal((await cli(['export', '--stream', caseStream, '--out', streamFile], original.env)).code, 0)
    const partial = await cli(['import', '--in', streamFile], env)
    t.equal(partial.code, 1)
    t.match(partial.err, /^import refused: .*is the export of one stream/)
    await empty('a stream export')

    const usage = await cli(['import'], env)
    t.equal(usage.code, 2, 'no --in: a usage error')
  })
})
