import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { testDatabase } from '@pc/postgres/testing'
import { createPostgresEventStore, type DeliveredEvent, type NewEvent, type PostgresEventStore } from '@pc/event-store'
import { ZERO_HASH, exportPrivateKeyPem, generateSigningKeyPair, sealEvents, signTreeHead, treeHead } from '@pc/ledger'
import {
  applyBatch,
  checkpointOfRow,
  createReadModelDatabase,
  ensureCheckpoint,
  migrateReadModels,
  readModelMigrations,
  type Projection,
} from '@pc/read-models'
import {
  LedgerHeadWorker,
  latestHead,
  ledgerMigrations,
  ledgerProjection,
  readHeads,
  rotateSigningKey,
  signerFromPem,
  type LedgerSigner,
} from '@pc/read-models/ledger'
import { auditCommand, auditStore } from '../src/commands/audit.command.js'

/**
 * `cli audit` against the ledger's own tables. The event-side tampering (one byte, reorder, delete, insert) is
 * `test/tamper.e2e.test.ts`; here: the ledger's records edited behind the signed heads, foreign heads, a lagging
 * projection, and the command line.
 */

const migrations = { ...readModelMigrations, ...ledgerMigrations }

interface Setup {
  url: string
  store: PostgresEventStore
  db: ReturnType<typeof createReadModelDatabase>
  signer: LedgerSigner
  projection: Projection
}

async function append(store: PostgresEventStore, streamId: string, text: string) {
  let last: { revision: bigint; hash: string } | undefined
  for await (const e of store.readStream(streamId, { from: 'end', direction: 'backwards', maxCount: 1 })) last = { revision: e.revision, hash: e.metadata.hash }
  const [event] = sealEvents(streamId, last ? last.revision + 1n : 0n, last?.hash ?? ZERO_HASH, [
    {
      eventId: randomUUID(),
      type: 'NoteAdded',
      schemaVersion: 1,
      data: { text },
      metadata: { actor: { id: 'staff-1', roles: ['staff'] }, occurredAt: new Date().toISOString(), correlationId: randomUUID(), causationId: null },
    },
  ])
  return store.append(streamId, [event as NewEvent], { expectedRevision: last ? last.revision : 'no_stream' })
}

async function project(s: Pick<Setup, 'db' | 'store' | 'projection'>): Promise<void> {
  const row = await ensureCheckpoint(s.db, s.projection.name, s.projection.version)
  const events: DeliveredEvent[] = []
  for await (const e of s.store.readAll({ after: checkpointOfRow(row) })) events.push(e)
  if (events.length > 0) await applyBatch(s.db, s.projection, events, checkpointOfRow(row))
}

/** 24 events, the ledger over them, heads at 8, 16, 24 published. */
async function setup(t: Test): Promise<Setup> {
  const { url } = await testDatabase(t)
  const store = await createPostgresEventStore({ connectionString: url })
  t.teardown(() => store.close())
  const db = createReadModelDatabase({ connectionString: url, max: 4 })
  t.teardown(() => db.destroy())
  await migrateReadModels(db, { migrations })
  const signer = signerFromPem(exportPrivateKeyPem(generateSigningKeyPair().privateKey))
  const projection = ledgerProjection({ signer, headEvery: 8 })
  for (let i = 0; i < 24; i++) await append(store, `case-${i % 5}`, `note ${i}`)
  const s = { url, store, db, signer, projection }
  await project(s)
  await new LedgerHeadWorker({ db, store, signer }).publishPending()
  await project(s)
  return s
}

const audit = (s: Setup) => auditStore({ store: s.store, db: s.db, publicKeyPems: [s.signer.publicKeyPem] })

t.test('a projection behind the store is not a divergence', async (t) => {
  const s = await setup(t)
  await append(s.store, 'case-9', 'not projected yet')
  const result = await audit(s)
  t.equal(result.exitCode, 0, result.summary)
  t.match(result.summary, /audit ok: 28 events in 7 streams, hash chains intact; 25 leaves rebuilt, 24 match .*; 3 signed heads verified \(latest: tree size 24/)
  t.match(result.summary, /; 1 events not yet in the ledger$/)
})

t.test("a leaf of the ledger's own record edited: the signed head sides with the log", async (t) => {
  const s = await setup(t)
  await s.store.pool.query('update ledger_nodes set hash = sha256(hash) where level = 0 and index = 5')
  const result = await audit(s)
  t.equal(result.exitCode, 1)
  t.match(result.summary, /^audit FAILED: the ledger's stored leaf 5 was altered: it records event .* and the signed head of tree size 8 agrees with the log/)
})

t.test('a stored interior node edited (proofs would be wrong): caught by folding the stored nodes', async (t) => {
  const s = await setup(t)
  // 24 leaves = 16 + 8: the perfect subtree (3, 2) is on the right edge.
  await s.store.pool.query('update ledger_nodes set hash = sha256(hash) where level = 3 and index = 2')
  const result = await audit(s)
  t.equal(result.exitCode, 1)
  t.match(result.summary, /the ledger's stored nodes give root [0-9a-f]{64} at tree size 24 but its leaves give [0-9a-f]{64}: ledger_nodes was altered/)
})

t.test('a head by a key nobody was given: a finding with the trusted key, accepted with the database keys', async (t) => {
  const s = await setup(t)
  const rogue = signerFromPem(exportPrivateKeyPem(generateSigningKeyPair().privateKey))
  const real = (await latestHead(s.db))!
  // The rogue head even commits to the true root: what gives it away is the key.
  const head = signTreeHead(treeHead(24n, real.rootHash, new Date()), rogue.privateKey, rogue.keyId)
  await s.store.pool.query('delete from ledger_heads where tree_size = 24')
  await s.store.pool.query(
    'insert into ledger_heads (tree_size, root_hash, signed_at, signature, key_id, version, origin) values (24, $1, $2, $3, $4, 2, $5)',
    [head.rootHash, head.timestamp, head.signature, head.keyId, head.origin],
  )
  // Slipped in as an old key (the ledger has one current key at a time), its period covering the rogue head.
  await s.store.pool.query('insert into ledger_keys (key_id, public_key_pem, first_used_at, retired_at) values ($1, $2, $3, now())', [
    rogue.keyId,
    rogue.publicKeyPem,
    '2020-01-01T00:00:00Z',
  ])

  const trusted = await audit(s)
  t.equal(trusted.exitCode, 1)
  t.match(trusted.summary, `signed head of tree size 24 (ledger_heads): signed by key ${rogue.keyId}, which is not a known ledger key`)
  const lax = await auditStore({ store: s.store, db: s.db })
  t.equal(lax.exitCode, 0, 'with the keys in the database the rogue key is as good as any: pass the real key')
  t.match(lax.summary, /with the keys recorded in the database/)
})

t.test('audit command line', async (t) => {
  const s = await setup(t)
  const dir = await mkdtemp(join(tmpdir(), 'pc-audit-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const key = join(dir, 'ledger.pub.pem')
  await writeFile(key, s.signer.publicKeyPem)
  const output: string[] = []
  const errors: string[] = []
  const io = { env: { DATABASE_URL: s.url, DATA_DIR: dir, LOG_LEVEL: 'silent' }, out: (l: string) => void output.push(l), err: (l: string) => void errors.push(l) }
  t.equal(await auditCommand.run(['--bogus'], io), 2)
  t.equal(await auditCommand.run(['--public-key', key], io), 0, errors.join('\n'))
  t.match(output.at(-1), /^audit ok: 27 events/)
  const progress: string[] = []
  const sink = { isTTY: false, write: (text: string) => void progress.push(text) }
  t.equal(await auditCommand.run(['--public-key', key], { ...io, progress: sink }), 0)
  t.same(progress.length, 1, 'not a terminal: one progress summary')
  t.match(progress[0], /^audit: 27 events in \d+\.\d s \([\d,]+ events\/s\)\n$/)
  t.equal(await auditCommand.run(['--public-key', key, '--quiet'], { ...io, progress: sink }), 0)
  t.equal(progress.length, 1, '--quiet: no summary')
  await s.store.pool.query('update ledger_nodes set hash = sha256(hash) where level = 0 and index = 20')
  t.equal(await auditCommand.run(['--public-key', key], io), 1)
  t.match(errors.at(-1), /^audit FAILED: the ledger's stored leaf 20 was altered/)
})

t.test('after a rotation: old heads check with the old key, new ones with the new; a retired key signing later is caught', async (t) => {
  const s = await setup(t)
  const next = signerFromPem(exportPrivateKeyPem(generateSigningKeyPair().privateKey))
  const { at } = await rotateSigningKey(s.db, next)
  for (let i = 0; i < 8; i++) await append(s.store, `case-${i % 5}`, `after rotation ${i}`)
  await project({ ...s, projection: ledgerProjection({ signer: next, headEvery: 8 }) })
  await new LedgerHeadWorker({ db: s.db, store: s.store, signer: next }).publishPending()
  t.same((await readHeads(s.db)).map((h) => [h.treeSize, h.keyId === next.keyId ? 'new' : 'old']), [
    ['8', 'old'],
    ['16', 'old'],
    ['24', 'old'],
    ['32', 'new'],
  ])
  const both = await auditStore({ store: s.store, db: s.db, publicKeyPems: [s.signer.publicKeyPem, next.publicKeyPem], origin: 'property-cases' })
  t.equal(both.exitCode, 0, both.summary)
  t.match(both.summary, /4 signed heads verified \(latest: tree size 32, root [0-9a-f]{16}…\) with 2 keys as the log "property-cases"/)
  const recorded = await auditStore({ store: s.store, db: s.db })
  t.equal(recorded.exitCode, 0, 'the database records both keys')

  // Someone holding the retired key signs a head dated after its retirement (over the true tree, even).
  const real = (await latestHead(s.db))!
  const late = signTreeHead(treeHead(32n, real.rootHash, new Date(Date.parse(at) + 60_000)), s.signer.privateKey)
  await s.store.pool.query('update ledger_heads set signed_at = $1, signature = $2, key_id = $3 where tree_size = 32', [late.timestamp, late.signature, late.keyId])
  const caught = await auditStore({ store: s.store, db: s.db, publicKeyPems: [s.signer.publicKeyPem, next.publicKeyPem] })
  t.equal(caught.exitCode, 1)
  t.match(caught.summary, `signed head of tree size 32 (ledger_heads): dated ${late.timestamp}, after its key ${s.signer.keyId} was retired at ${at}`)
})

t.test('a head of another log (LEDGER_ORIGIN) signed with our key is caught', async (t) => {
  const s = await setup(t)
  t.equal((await auditStore({ store: s.store, db: s.db, origin: 'property-cases' })).exitCode, 0)
  const result = await auditStore({ store: s.store, db: s.db, origin: 'cases.estate-a.example' })
  t.equal(result.exitCode, 1)
  t.match(result.summary, /signed head of tree size 8 \(ledger_heads\): head belongs to the log "property-cases", not "cases.estate-a.example"/)
})
