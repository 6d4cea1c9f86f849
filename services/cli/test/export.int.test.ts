import { randomUUID } from 'node:crypto'
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { testDatabase } from '@pc/postgres/testing'
import { createPostgresEventStore, type DeliveredEvent, type NewEvent, type PostgresEventStore } from '@pc/event-store'
import { ZERO_HASH, exportPrivateKeyPem, generateSigningKeyPair, sealEvents, verifyInclusion } from '@pc/ledger'
import {
  applyBatch,
  checkpointOfRow,
  createReadModelDatabase,
  ensureCheckpoint,
  migrateReadModels,
  readModelMigrations,
  type Projection,
} from '@pc/read-models'
import { LedgerHeadWorker, ledgerMigrations, ledgerProjection, rotateSigningKey, signerFromPem, type LedgerSigner } from '@pc/read-models/ledger'
import { exportFiles, verifyExport, type ExportedProof } from '@pc/ledger'
import { exportCommand, exportEvents, type ExportedEvent } from '../src/commands/export.command.js'

const migrations = { ...readModelMigrations, ...ledgerMigrations }

interface Setup {
  url: string
  store: PostgresEventStore
  db: ReturnType<typeof createReadModelDatabase>
  signer: LedgerSigner
  dir: string
}

async function append(store: PostgresEventStore, streamId: string, data: Record<string, string | number>) {
  let last: { revision: bigint; hash: string } | undefined
  for await (const e of store.readStream(streamId, { from: 'end', direction: 'backwards', maxCount: 1 })) last = { revision: e.revision, hash: e.metadata.hash }
  const [event] = sealEvents(streamId, last ? last.revision + 1n : 0n, last?.hash ?? ZERO_HASH, [
    {
      eventId: randomUUID(),
      type: 'NoteAdded',
      schemaVersion: 1,
      data,
      metadata: { actor: { id: 'staff-1', roles: ['staff'] }, occurredAt: new Date().toISOString(), correlationId: randomUUID(), causationId: null, idempotencyKey: randomUUID() },
    },
  ])
  return store.append(streamId, [event as NewEvent], { expectedRevision: last ? last.revision : 'no_stream' })
}

/** Applies everything new to a projection in one batch, as the runner would (no subscription needed here). */
async function project(s: Pick<Setup, 'db' | 'store'>, projection: Projection): Promise<void> {
  const row = await ensureCheckpoint(s.db, projection.name, projection.version)
  const events: DeliveredEvent[] = []
  for await (const e of s.store.readAll({ after: checkpointOfRow(row) })) events.push(e)
  await applyBatch(s.db, projection, events, checkpointOfRow(row))
}

/** Events, the ledger built, heads at 4, 8 and 12 signed and published. */
async function setup(t: Test, events = 14): Promise<Setup> {
  const { url } = await testDatabase(t)
  const store = await createPostgresEventStore({ connectionString: url })
  t.teardown(() => store.close())
  const db = createReadModelDatabase({ connectionString: url, max: 4 })
  t.teardown(() => db.destroy())
  await migrateReadModels(db, { migrations })
  const signer = signerFromPem(exportPrivateKeyPem(generateSigningKeyPair().privateKey))
  for (let i = 0; i < events; i++) await append(store, `case-${i % 3}`, { text: `note ${i}`, amountFen: i * 100 })
  await project({ db, store }, ledgerProjection({ signer, headEvery: 4 }))
  await new LedgerHeadWorker({ db, store, signer }).publishPending()
  const dir = await mkdtemp(join(tmpdir(), 'pc-export-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return { url, store, db, signer, dir }
}

async function lines<T>(file: string): Promise<T[]> {
  return (await readFile(file, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as T)
}

const exists = (file: string) => access(file).then(() => true, () => false)

t.test('whole-log export: events as stored, head, key and the ledger leaves alongside; verifies offline', async (t) => {
  const s = await setup(t)
  const out = join(s.dir, 'all.jsonl')
  const result = await exportEvents({ store: s.store, db: s.db, all: true, out })
  t.equal(result.events, 17, '14 events and 3 published heads')
  t.equal(result.head?.treeSize, '12', 'the latest signed head')
  t.match(result.summary, /exported 17 events of the whole log to .*all\.jsonl, with the signed head of tree size 12/)

  const files = exportFiles(out)
  const events = await lines<ExportedEvent>(out)
  const first = events[0]!
  t.same(Object.keys(first).sort(), ['data', 'eventId', 'metadata', 'position', 'recordedAt', 'revision', 'schemaVersion', 'streamId', 'type'])
  t.equal(typeof first.revision, 'string', 'revision as a decimal string')
  t.equal(typeof first.position, 'string', 'position as a decimal string')
  t.ok(first.metadata.idempotencyKey && first.metadata.correlationId && first.metadata.prevHash === ZERO_HASH, 'all metadata')
  t.equal((await lines<unknown>(files.leaves)).length, 12, 'one ledger leaf per event the head covers')
  t.equal(await readFile(files.publicKey, 'utf8'), s.signer.publicKeyPem)
  const { keys } = JSON.parse(await readFile(files.keys, 'utf8')) as { keys: Array<{ keyId: string; validUntil: string | null }> }
  t.same(keys.map((k) => [k.keyId, k.validUntil]), [[s.signer.keyId, null]], 'every key with its period, as GET /v1/ledger/keys')

  const verified = await verifyExport({ in: out })
  t.equal(verified.exitCode, 0, verified.summary)
  t.match(verified.summary, /17 events in 4 streams, .* signed head of tree size 12 .*; 2 more signed heads in ledger-checkpoints match; 12 leaves match .*; 2 events are newer than the head/)
})

t.test('stream export: inclusion proofs against the head; a stale sidecar is replaced', async (t) => {
  const s = await setup(t)
  const out = join(s.dir, 'case.jsonl')
  await exportEvents({ store: s.store, db: s.db, all: true, out })
  const result = await exportEvents({ store: s.store, db: s.db, stream: 'case-1', out })
  t.equal(result.events, 5)
  const files = exportFiles(out)
  t.notOk(await exists(files.leaves), 'the whole-log leaves file of the earlier export is gone')
  const proofs = await lines<ExportedProof>(files.proofs)
  t.equal(proofs.length, 4, 'case-1 has 4 events among the 12 leaves the head covers')
  const head = result.head!
  for (const p of proofs) {
    t.ok(verifyInclusion({ leafIndex: BigInt(p.leafIndex), treeSize: BigInt(p.treeSize), leafHash: p.leafHash, auditPath: p.auditPath, rootHash: head.rootHash }))
  }
  const verified = await verifyExport({ in: out })
  t.equal(verified.exitCode, 0, verified.summary)
  t.match(verified.summary, /5 events, hash chain intact; 4 proven included in the signed tree of size 12 .*; 1 events are newer than the head/)
})

t.test('export command line', async (t) => {
  const s = await setup(t, 5)
  const errors: string[] = []
  const output: string[] = []
  const io = { env: { DATABASE_URL: s.url, DATA_DIR: s.dir, LOG_LEVEL: 'silent' }, out: (l: string) => void output.push(l), err: (l: string) => void errors.push(l) }
  t.equal(await exportCommand.run(['--all'], io), 2, '--out is required')
  t.equal(await exportCommand.run(['--all', '--stream', 'case-1', '--out', 'x'], io), 2, 'not both --all and --stream')
  t.equal(await exportCommand.run(['--stream', 'orders-1', '--out', 'x'], io), 2, 'a stream no context writes')
  t.match(errors.at(-1), /orders-1 is no stream of this system; streams start with case-, disclosure-, subject-, ledger-checkpoints/)
  const out = join(s.dir, 'cli.jsonl')
  t.equal(await exportCommand.run(['--stream', 'case-0', '--out', out], io), 0, errors.join('\n'))
  t.match(output.at(-1), /exported 2 events of stream case-0 .* with the signed head of tree size 4/)
  t.equal((await verifyExport({ in: out })).exitCode, 0)

  const progress: string[] = []
  const piped = { ...io, progress: { isTTY: false, write: (text: string) => void progress.push(text) } }
  t.equal(await exportCommand.run(['--all', '--out', out], piped), 0, errors.join('\n'))
  t.equal(progress.length, 1, 'not a terminal: one progress summary')
  t.match(progress[0], /^export: \d+ events in \d+\.\d s \([\d,]+ events\/s\)\n$/)
  const events = (await readFile(out, 'utf8')).trimEnd().split('\n').length
  t.match(progress[0], new RegExp(`^export: ${events.toLocaleString('en-US')} events `), 'counts every event written')
  t.equal(await exportCommand.run(['--all', '--out', out, '--quiet'], piped), 0)
  t.equal(progress.length, 1, '--quiet: no summary')
})

t.test('whole-log export after a key rotation verifies offline: old heads with the old key from .keys.json', async (t) => {
  const s = await setup(t)
  const next = signerFromPem(exportPrivateKeyPem(generateSigningKeyPair().privateKey))
  await rotateSigningKey(s.db, next)
  // A head of the grown tree by the new key, as its head worker signs one once the tree has grown.
  const later = () => new Date(Date.now() + 3_600_000)
  await project({ db: s.db, store: s.store }, ledgerProjection({ signer: next, headEvery: 4 }))
  const signed = await new LedgerHeadWorker({ db: s.db, store: s.store, signer: next, now: later }).tick()
  t.equal(signed.signed?.keyId, next.keyId)
  const out = join(s.dir, 'rotated.jsonl')
  await exportEvents({ store: s.store, db: s.db, all: true, out })
  const verified = await verifyExport({ in: out })
  t.equal(verified.exitCode, 0, verified.summary)
  t.match(verified.summary, /\(2 keys given\); 3 more signed heads in ledger-checkpoints match/)
  const onlyNew = join(s.dir, 'new.pem')
  await writeFile(onlyNew, next.publicKeyPem)
  const pinned = await verifyExport({ in: out, publicKey: onlyNew })
  t.equal(pinned.exitCode, 0, pinned.summary)
  t.match(pinned.summary, /heads by other keys not checked/, 'with only the new key the old heads are named as unchecked')
})
