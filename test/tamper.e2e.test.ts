import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { testDatabase } from '@pc/postgres/testing'
import { createPostgresEventStore, handleCommand, type DeliveredEvent, type PostgresEventStore } from '@pc/event-store'
import { exportFiles, exportPrivateKeyPem, generateSigningKeyPair, sealEvents } from '@pc/ledger'
import {
  ProjectionRunner,
  createReadModelDatabase,
  migrateReadModels,
  readModelMigrations,
  waitForProjections,
} from '@pc/read-models'
import {
  LEDGER_CHECKPOINT_STREAM,
  LEDGER_PROJECTION,
  LedgerHeadWorker,
  ledgerMigrations,
  ledgerProjection,
  readHeads,
  signerFromPem,
  type LedgerSigner,
} from '@pc/read-models/ledger'
// The CLI as `pnpm cli` runs it (the test package does not depend on the CLI service).
import { runCli } from '../services/cli/src/cli.js'

/**
 * Tamper evidence on real PostgreSQL (issue 7, DESIGN §6): events go in through the command handler (so they are
 * sealed), the ledger projection builds the tree and signs heads, the head worker publishes them. Then a
 * superuser goes around the immutability triggers (`session_replication_role = replica`) and changes one byte,
 * reorders two events, deletes one, or inserts a forged one (with a correct hash chain, backdated into history).
 * `pnpm cli audit` (live) and `pnpm cli verify` (on a fresh `pnpm cli export`, no server) must each catch every one
 * and name the event. The commands run as the command line runs them (`runCli`, their own runtime and exit code),
 * with the public key handed over out of band, as a committee would hold it — not the one in the export or the
 * database.
 */

const migrations = { ...readModelMigrations, ...ledgerMigrations }

const noteDecider = {
  initialState: 0,
  decide: (command: { text: string }) => [{ type: 'NoteAdded' as const, text: command.text }],
  evolve: (count: number) => count + 1,
}

interface Stack {
  url: string
  store: PostgresEventStore
  db: ReturnType<typeof createReadModelDatabase>
  signer: LedgerSigner
  /** Every event in delivery order, before any tampering. */
  events: DeliveredEvent[]
  dir: string
  /** The public key as the committee holds it. */
  publicKeyFile: string
}

async function note(store: PostgresEventStore, streamId: string, text: string) {
  return handleCommand(store, noteDecider, streamId, { text }, {
    context: () => undefined,
    metadata: { actor: { id: 'staff-1', roles: ['staff'] }, occurredAt: new Date().toISOString(), correlationId: randomUUID(), causationId: null },
    eventIds: () => randomUUID(),
    codec: {
      toStored: (e) => ({ type: e.type, schemaVersion: 1, data: { text: e.text } }),
      fromStored: (e) => ({ type: 'NoteAdded' as const, text: String(e.data.text) }),
    },
  })
}

/** 24 events over four streams, the ledger built, heads at 5, 10, 15, 20 and 24, all published. */
async function stack(t: Test): Promise<Stack> {
  const { url } = await testDatabase(t)
  const store = await createPostgresEventStore({ connectionString: url, pollIntervalMs: 50 })
  t.teardown(() => store.close())
  const db = createReadModelDatabase({ connectionString: url, max: 4 })
  t.teardown(() => db.destroy())
  await migrateReadModels(db, { migrations })
  const signer = signerFromPem(exportPrivateKeyPem(generateSigningKeyPair().privateKey))
  const dir = await mkdtemp(join(tmpdir(), 'pc-tamper-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const publicKeyFile = join(dir, 'committee-copy.pub.pem')
  await writeFile(publicKeyFile, signer.publicKeyPem)

  // disclosure-d is written early only: a forged event can extend its chain without breaking it.
  const plan = ['disclosure-d', 'case-a', 'case-b', 'disclosure-d', 'case-c', 'case-a', 'disclosure-d', 'case-b']
  for (let i = 0; i < 24; i++) {
    const streamId = i < plan.length ? plan[i]! : ['case-a', 'case-b', 'case-c'][i % 3]!
    await note(store, streamId, `note number ${i}`)
  }
  const runner = new ProjectionRunner({
    db,
    store,
    connectionString: url,
    projections: [ledgerProjection({ signer, headEvery: 5 })],
    batchSize: 4,
    leasePollMs: 50,
    migrations,
  })
  runner.start()
  t.teardown(() => runner.stop())
  const caughtUp = async () => {
    const last = (await all(store)).at(-1)!
    t.ok(await waitForProjections(db, store, [LEDGER_PROJECTION], last.position, { timeoutMs: 15_000 }), 'ledger caught up')
  }
  await caughtUp()
  // A head over the last 4 events too: the worker signs when the last head is old, here an hour in the future.
  const worker = new LedgerHeadWorker({ db, store, signer, headSeconds: 60, now: () => new Date(Date.now() + 3_600_000) })
  await worker.tick()
  await caughtUp()
  await runner.stop()
  t.same((await readHeads(db)).map((h) => h.treeSize), ['5', '10', '15', '20', '24'], 'heads signed and published')
  return { url, store, db, signer, events: await all(store), dir, publicKeyFile }
}

async function all(store: PostgresEventStore): Promise<DeliveredEvent[]> {
  const events: DeliveredEvent[] = []
  for await (const e of store.readAll()) events.push(e)
  return events
}

interface Client {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>
}

/** Runs SQL the way a superuser would to get around the triggers (the test cluster's user is one). */
async function asSuperuser(s: Stack, work: (client: Client) => Promise<void>): Promise<void> {
  const client = await s.store.pool.connect()
  try {
    await client.query('begin')
    await client.query('set local session_replication_role = replica')
    await work(client)
    await client.query('commit')
  } catch (error) {
    await client.query('rollback')
    throw error
  } finally {
    client.release()
  }
}

/** `pnpm cli <argv…>` against the stack's database: the exit code and the one-line summary it printed. */
async function cli(s: Stack, ...argv: string[]): Promise<{ exitCode: number | undefined; summary: string }> {
  const lines: string[] = []
  const io = { env: { DATABASE_URL: s.url, DATA_DIR: s.dir, LOG_LEVEL: 'silent' }, out: (l: string) => void lines.push(l), err: (l: string) => void lines.push(l) }
  const exitCode = await runCli(argv, io)
  return { exitCode, summary: lines.join('\n') }
}

async function audit(s: Stack) {
  return cli(s, 'audit', '--public-key', s.publicKeyFile)
}

async function verify(s: Stack, out: string) {
  return cli(s, 'verify', '--in', out, '--public-key', s.publicKeyFile)
}

async function exportAndVerify(s: Stack, name: string) {
  const out = join(s.dir, `${name}.jsonl`)
  const exported = await cli(s, 'export', '--all', '--out', out)
  if (exported.exitCode !== 0) throw new Error(exported.summary)
  return { out, result: await verify(s, out) }
}

/** Leaf events (the tree leaves `ledger-checkpoints` out), in delivery order. */
function leaves(s: Stack): DeliveredEvent[] {
  return s.events.filter((e) => e.streamId !== LEDGER_CHECKPOINT_STREAM)
}

t.test('an untouched store passes audit and verify', async (t) => {
  const s = await stack(t)
  const audited = await audit(s)
  t.equal(audited.exitCode, 0, audited.summary)
  t.match(audited.summary, /^audit ok: 29 events in 5 streams, hash chains intact; 24 leaves rebuilt, 24 match/)
  t.match(audited.summary, /6 signed heads verified|5 signed heads verified/)
  const { result } = await exportAndVerify(s, 'clean')
  t.equal(result.exitCode, 0, result.summary)
  t.match(result.summary, /29 events in 5 streams, hash chains intact; Merkle tree of 24 leaves rebuilt; signed head of tree size 24/)
})

t.test('one byte of one event changed', async (t) => {
  const s = await stack(t)
  const victim = leaves(s)[9]!
  const text = String(victim.data.text)
  const changed = text.slice(0, -1) + String.fromCharCode(text.charCodeAt(text.length - 1) ^ 1)
  const edit = `update events set data = jsonb_set(data, '{text}', to_jsonb($2::text)) where event_id = $1`
  await t.rejects(s.store.pool.query(edit, [victim.eventId, changed]), /events are immutable: UPDATE/, 'the trigger refuses an ordinary edit')
  await asSuperuser(s, async (c) => {
    await c.query(edit, [victim.eventId, changed])
  })

  const audited = await audit(s)
  t.equal(audited.exitCode, 1)
  t.match(audited.summary, `event ${victim.eventId} (${victim.streamId}@${victim.revision}, position ${victim.position})`, 'audit names the event')
  t.match(audited.summary, /hash_mismatch/, 'and says its content no longer matches its hash')
  const { result } = await exportAndVerify(s, 'changed')
  t.equal(result.exitCode, 1)
  t.match(result.summary, `event ${victim.eventId}`, 'verify names the event')
  t.match(result.summary, /hash_mismatch/)
})

t.test('two events reordered (their chains stay intact)', async (t) => {
  const s = await stack(t)
  // Leaves 11 and 12 are in different streams, with nothing of either stream between them: swapping them keeps
  // both hash chains valid, so only the tree can tell.
  const [x, y] = [leaves(s)[11]!, leaves(s)[12]!]
  t.not(x.streamId, y.streamId)
  await asSuperuser(s, async (c) => {
    const cols = 'stream_id, revision, event_id, type, schema_version, data, metadata, recorded_at'
    const { rows } = await c.query(`select position, ${cols} from events where position in ($1, $2) order by position`, [x.position.toString(), y.position.toString()])
    const [rx, ry] = [rows[0]!, rows[1]!]
    const set = `(${cols}) = ($2, $3, $4, $5, $6, $7, $8, $9)`
    const values = (r: Record<string, unknown>) => [r.stream_id, r.revision, r.event_id, r.type, r.schema_version, r.data, r.metadata, r.recorded_at]
    await c.query(`update events set stream_id = 'tmp', event_id = gen_random_uuid() where position = $1`, [x.position.toString()])
    await c.query(`update events set ${set} where position = $1`, [y.position.toString(), ...values(rx)])
    await c.query(`update events set ${set} where position = $1`, [x.position.toString(), ...values(ry)])
  })

  const audited = await audit(s)
  t.equal(audited.exitCode, 1)
  t.match(audited.summary, `event ${y.eventId} (${y.streamId}@${y.revision}, position ${x.position}) was moved`, 'audit names the event now in the wrong place')
  t.match(audited.summary, `ledger recorded event ${x.eventId}`, 'and the one the ledger has there')
  t.match(audited.summary, /leaf 11 /)
  const { out, result } = await exportAndVerify(s, 'reordered')
  t.equal(result.exitCode, 1)
  t.match(result.summary, `event ${y.eventId} (${y.streamId}@${y.revision}, position ${x.position}) was moved`, 'verify names it too')
  t.match(result.summary, `ledger recorded event ${x.eventId}`)

  // Without the leaves file, the signed head alone still catches it, and narrows it to the leaves it covers.
  await rm(exportFiles(out).leaves)
  const headOnly = await verify(s, out)
  t.equal(headOnly.exitCode, 1)
  t.match(headOnly.summary, /signed head of tree size 15 .* leaves 10\.\.14 were altered/, 'the head after them, and the range since the head before')
  t.match(headOnly.summary, `events ${leaves(s)[10]!.eventId} `, 'naming the events that bound the range')
})

t.test('one event deleted', async (t) => {
  const s = await stack(t)
  const victim = leaves(s).find((e) => e.streamId === 'case-c' && e.revision === 1n)!
  const index = leaves(s).indexOf(victim)
  await asSuperuser(s, async (c) => {
    await c.query('delete from events where event_id = $1', [victim.eventId])
  })

  const audited = await audit(s)
  t.equal(audited.exitCode, 1)
  t.match(audited.summary, `event ${victim.eventId} (case-c@1, position ${victim.position}) was deleted`, 'audit names the deleted event')
  t.match(audited.summary, `leaf ${index},`)
  const { result } = await exportAndVerify(s, 'deleted')
  t.equal(result.exitCode, 1)
  t.match(result.summary, `event ${victim.eventId} (case-c@1, position ${victim.position}) was deleted`, 'verify names it')
})

t.test('one forged event inserted, correctly chained, backdated into history', async (t) => {
  const s = await stack(t)
  const stream = s.events.filter((e) => e.streamId === 'disclosure-d')
  const last = stream.at(-1)!
  const before = leaves(s)[13]!
  const [forged] = sealEvents('disclosure-d', last.revision + 1n, last.metadata.hash, [
    {
      eventId: randomUUID(),
      type: 'NoteAdded',
      schemaVersion: 1,
      data: { text: 'the maintenance fund paid 1,000,000 fen to a friend' },
      metadata: { actor: { id: 'staff-1', roles: ['staff'] }, occurredAt: before.metadata.occurredAt, correlationId: randomUUID(), causationId: null },
    },
  ])
  await asSuperuser(s, async (c) => {
    // Same transaction id as leaf 13 and a later position: delivered right after it, inside signed history.
    await c.query(
      `insert into events (position, transaction_id, stream_id, revision, event_id, type, schema_version, data, metadata)
       overriding system value
       values ($1, $2::xid8, 'disclosure-d', $3, $4, 'NoteAdded', 1, $5, $6)`,
      [
        (before.position * 1000n).toString(),
        before.checkpoint.txId.toString(),
        (last.revision + 1n).toString(),
        forged!.eventId,
        JSON.stringify(forged!.data),
        JSON.stringify(forged!.metadata),
      ],
    )
  })
  const replayed = await all(s.store)
  t.equal(replayed[replayed.findIndex((e) => e.eventId === before.eventId) + 1]?.eventId, forged!.eventId, 'the forgery sits inside history')

  const audited = await audit(s)
  t.equal(audited.exitCode, 1)
  t.match(audited.summary, `event ${forged!.eventId} (disclosure-d@3, position ${before.position * 1000n}) was inserted`, 'audit names the forged event')
  t.match(audited.summary, /leaf 14 /)
  t.notMatch(audited.summary, /hash_mismatch|prev_hash_mismatch/, 'its chain was forged correctly: the tree caught it')
  const { result } = await exportAndVerify(s, 'forged')
  t.equal(result.exitCode, 1)
  t.match(result.summary, `event ${forged!.eventId} (disclosure-d@3, position ${before.position * 1000n}) was inserted`, 'verify names it')
})
