import t from 'tap'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql, type Kysely } from 'kysely'
import { testDatabase } from '@pc/postgres/testing'
import {
  createPostgresEventStore,
  type DeliveredEvent,
  type EventStore,
  type NewEvent,
  type PostgresEventStore,
} from '@pc/event-store'
import { NotFoundError, RuleViolationError } from '@pc/domain'
import {
  MemoryMerkleTree,
  ZERO_HASH,
  exportPrivateKeyPem,
  fromHex,
  generateSigningKeyPair,
  leafInputOfEventHash,
  sealEvents,
  toHex,
  verifyConsistency,
  verifyInclusion,
  verifyTreeHead,
  type SignedTreeHead,
} from '@pc/ledger'
import {
  ProjectionRunner,
  createReadModelDatabase,
  migrateReadModels,
  readModelMigrations,
  rebuildProjection,
  waitForProjections,
  type Database,
} from '../src/index.js'
import {
  LEDGER_CHECKPOINT_STREAM,
  LEDGER_PROJECTION,
  LedgerHeadWorker,
  TREE_HEAD_SIGNED,
  appendHeadEvent,
  treeHeadEventId,
  consistencyProof,
  inclusionProof,
  ledgerHead,
  ledgerMigrations,
  ledgerProjection,
  ledgerPublicKey,
  ledgerTreeSize,
  loadOrCreateSigningKey,
  readHeads,
  signerFromPem,
  type LedgerSigner,
} from '../src/ledger/index.js'

const migrations = { ...readModelMigrations, ...ledgerMigrations }

interface Teardown {
  teardown(fn: () => unknown): void
}

/** Appends one sealed `Noted` event, the way the command handler does: chained onto the stream's last hash. */
async function note(store: EventStore, streamId: string, text: string) {
  for (;;) {
    let last: { revision: bigint; hash: string } | undefined
    for await (const e of store.readStream(streamId, { from: 'end', direction: 'backwards', maxCount: 1 })) {
      last = { revision: e.revision, hash: e.metadata.hash }
    }
    const [event] = sealEvents(streamId, last ? last.revision + 1n : 0n, last?.hash ?? ZERO_HASH, [
      {
        eventId: randomUUID(),
        type: 'Noted',
        schemaVersion: 1,
        data: { text },
        metadata: { actor: { id: 'u-1', roles: ['staff'] }, occurredAt: new Date().toISOString(), correlationId: randomUUID(), causationId: null },
      },
    ])
    try {
      return await store.append(streamId, [event as NewEvent], { expectedRevision: last ? last.revision : 'no_stream' })
    } catch (error) {
      if ((error as Error).name !== 'WrongExpectedRevisionError') throw error
    }
  }
}

interface Setup {
  url: string
  store: PostgresEventStore
  db: Kysely<Database>
  signer: LedgerSigner
}

async function setup(t: Teardown): Promise<Setup> {
  const { url } = await testDatabase(t)
  const store = await createPostgresEventStore({ connectionString: url, pollIntervalMs: 50 })
  t.teardown(() => store.close())
  const db = createReadModelDatabase({ connectionString: url, max: 6 })
  t.teardown(() => db.destroy())
  await migrateReadModels(db, { migrations })
  return { url, store, db, signer: signerFromPem(exportPrivateKeyPem(generateSigningKeyPair().privateKey)) }
}

function run(s: Setup, t: Teardown, options: { headEvery: number; now?: () => Date }) {
  const runner = new ProjectionRunner({
    db: s.db,
    store: s.store,
    connectionString: s.url,
    projections: [ledgerProjection({ signer: s.signer, ...options })],
    batchSize: 7, // small batches: heads and frontiers must come out right across batch boundaries
    leasePollMs: 50,
    retryDelayMs: 50,
    migrations,
  })
  runner.start()
  t.teardown(() => runner.stop())
  return runner
}

async function caughtUp(s: Setup, position: bigint): Promise<boolean> {
  return waitForProjections(s.db, s.store, [LEDGER_PROJECTION], position, { timeoutMs: 15_000 })
}

async function allEvents(store: EventStore): Promise<DeliveredEvent[]> {
  const events: DeliveredEvent[] = []
  for await (const e of store.readAll()) events.push(e)
  return events
}

function memoryTree(events: readonly DeliveredEvent[]): MemoryMerkleTree {
  const tree = new MemoryMerkleTree()
  for (const e of events) if (e.streamId !== LEDGER_CHECKPOINT_STREAM) tree.append(leafInputOfEventHash(e.metadata.hash))
  return tree
}

t.test('proofs read from PostgreSQL equal the in-memory tree, and verify', async (t) => {
  const s = await setup(t)
  let last = -1n
  for (let i = 0; i < 45; i++) last = (await note(s.store, `case-${i % 6}`, `note ${i}`)).position
  run(s, t, { headEvery: 1000 })
  t.ok(await caughtUp(s, last), 'ledger caught up')

  const events = await allEvents(s.store)
  const tree = memoryTree(events)
  t.equal(await ledgerTreeSize(s.db), 45n, 'one leaf per event')
  const { rows } = await sql<{ event_id: string }>`select event_id::text from ledger_leaves order by leaf_index`.execute(s.db)
  t.same(rows.map((r) => r.event_id), events.map((e) => e.eventId), 'leaves are in delivery order')

  for (const treeSize of [1n, 2n, 7n, 8n, 9n, 31n, 32n, 45n]) {
    for (const leafIndex of [0n, treeSize / 2n, treeSize - 1n]) {
      const proof = await inclusionProof(s.db, { eventId: events[Number(leafIndex)]!.eventId, treeSize: treeSize.toString() })
      t.same(proof.auditPath, tree.inclusionProof(leafIndex, treeSize).map(toHex), `path of leaf ${leafIndex} in ${treeSize}`)
      t.equal(proof.rootHash, toHex(tree.root(treeSize)))
      t.equal(proof.leafHash, toHex(tree.leafHash(leafIndex)))
      t.ok(
        verifyInclusion({ leafIndex, treeSize, leafHash: proof.leafHash, auditPath: proof.auditPath, rootHash: proof.rootHash }),
        `inclusion proof of leaf ${leafIndex} in ${treeSize} verifies`,
      )
    }
  }
  for (const [from, to] of [[0n, 45n], [1n, 45n], [8n, 45n], [13n, 32n], [31n, 45n], [45n, 45n]] as const) {
    const { proof } = await consistencyProof(s.db, { from: from.toString(), to: to.toString() })
    t.same(proof, tree.consistencyProof(from, to).map(toHex), `consistency ${from} → ${to}`)
    t.ok(verifyConsistency({ from, to, fromRoot: tree.root(from), toRoot: tree.root(to), proof }))
  }

  const head = (await readHeads(s.db))[0]
  t.equal(head, undefined, 'no head below LEDGER_HEAD_EVERY leaves')
  const proof = await inclusionProof(s.db, { eventId: events[3]!.eventId })
  t.equal(proof.treeSize, '45', 'without a head, the default tree is the whole ledger')

  await t.rejects(inclusionProof(s.db, { eventId: randomUUID() }), NotFoundError, 'unknown event')
  await t.rejects(inclusionProof(s.db, { eventId: events[0]!.eventId, treeSize: '46' }), RuleViolationError, 'tree size beyond the ledger')
  await t.rejects(inclusionProof(s.db, { eventId: events[10]!.eventId, treeSize: '10' }), RuleViolationError, 'leaf not in that tree')
  await t.rejects(consistencyProof(s.db, { from: '10', to: '46' }), RuleViolationError)
  await t.rejects(consistencyProof(s.db, { from: '11', to: '10' }), RuleViolationError)
  await t.rejects(ledgerHead(s.db), NotFoundError, 'no head yet')
})

t.test('heads every N leaves (projection) or T seconds (worker), published to ledger-checkpoints and kept out of the tree', async (t) => {
  const s = await setup(t)
  let clock = Date.parse('2026-03-02T09:00:00.000Z')
  const now = () => new Date(clock)
  let last = -1n
  for (let i = 0; i < 25; i++) last = (await note(s.store, `case-${i % 4}`, `n${i}`)).position
  run(s, t, { headEvery: 10, now })
  t.ok(await caughtUp(s, last))

  const tree = memoryTree(await allEvents(s.store))
  let heads = await readHeads(s.db)
  t.same(heads.map((h) => h.treeSize), ['10', '20'], 'count-triggered heads at exactly every 10 leaves')
  for (const head of heads) {
    t.ok(verifyTreeHead(head, s.signer.publicKey).ok, `head ${head.treeSize} is signed`)
    t.equal(head.rootHash, toHex(tree.root(BigInt(head.treeSize))), `head ${head.treeSize} commits to the tree's root`)
  }

  const worker = new LedgerHeadWorker({ db: s.db, store: s.store, signer: s.signer, headSeconds: 60, now })
  t.equal((await worker.signIfDue()), undefined, 'the last head is not 60 s old yet')
  clock += 61_000
  const timed = await worker.signIfDue()
  t.equal(timed?.treeSize, '25', 'a head over the whole tree once the last one is older than LEDGER_HEAD_SECONDS')
  t.equal(timed?.rootHash, toHex(tree.root(25n)))
  clock += 61_000
  t.equal(await worker.signIfDue(), undefined, 'no head when the tree has not grown')

  const tick = await worker.tick()
  t.equal(tick.published, 3, 'three heads appended to ledger-checkpoints')
  t.equal((await worker.tick()).published, 0, 'each once')
  const published: SignedTreeHead[] = []
  let checkpointPosition = -1n
  for await (const e of s.store.readStream(LEDGER_CHECKPOINT_STREAM)) {
    t.equal(e.type, TREE_HEAD_SIGNED)
    published.push(e.data as unknown as SignedTreeHead)
    checkpointPosition = e.position
  }
  t.same(published.map((h) => h.treeSize), ['10', '20', '25'])
  heads = await readHeads(s.db)
  t.ok(heads.every((h) => h.publishedRevision !== null), 'every head marked published')
  t.same(await ledgerHead(s.db), published[2], 'the API head is the latest published one')
  t.same(await ledgerPublicKey(s.db), { keyId: s.signer.keyId, publicKeyPem: s.signer.publicKeyPem })

  // The head events are stored and projected like any other, but are no leaves.
  t.ok(await caughtUp(s, checkpointPosition))
  t.equal(await ledgerTreeSize(s.db), 25n, 'ledger-checkpoints events are not in the tree')
  const more = await note(s.store, 'case-9', 'after the heads')
  t.ok(await caughtUp(s, more.position))
  t.equal(await ledgerTreeSize(s.db), 26n)
})

t.test('the head worker running on its own; publishing a head twice appends it once', async (t) => {
  const s = await setup(t)
  let last = -1n
  for (let i = 0; i < 3; i++) last = (await note(s.store, 'case-1', `w${i}`)).position
  run(s, t, { headEvery: 1000 })
  t.ok(await caughtUp(s, last))
  const worker = new LedgerHeadWorker({ db: s.db, store: s.store, signer: s.signer, headSeconds: 0.2, pollMs: 20 })
  worker.start()
  t.teardown(() => worker.stop())
  const published = async () => {
    const heads: SignedTreeHead[] = []
    for await (const e of s.store.readStream(LEDGER_CHECKPOINT_STREAM)) heads.push(e.data as unknown as SignedTreeHead)
    return heads
  }
  const deadline = Date.now() + 10_000
  while ((await published()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  t.same((await published()).map((h) => h.treeSize), ['3'], 'the first events get a head at once, published')
  await worker.stop()

  // A publisher that crashed after appending but before marking the head published tries again: same event.
  const head = (await ledgerHead(s.db))
  const again = await appendHeadEvent(s.store, head)
  t.equal(again.revision, 0n, 'found where it already is')
  t.equal(treeHeadEventId(head), treeHeadEventId({ ...head }), 'the event id is a function of the head')
  t.equal((await published()).length, 1, 'not appended twice')
})

t.test('concurrent writers: the tree follows delivery order, every event once', async (t) => {
  const s = await setup(t)
  run(s, t, { headEvery: 16 })
  const positions = await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      let p = -1n
      for (let i = 0; i < 15; i++) p = (await note(s.store, `case-w${w}`, `${w}/${i}`)).position
      return p
    }),
  )
  for (const p of positions) t.ok(await caughtUp(s, p))
  const events = await allEvents(s.store)
  const { rows } = await sql<{ event_id: string }>`select event_id::text from ledger_leaves order by leaf_index`.execute(s.db)
  t.equal(rows.length, 120)
  t.same(rows.map((r) => r.event_id), events.map((e) => e.eventId), 'leaf order = delivery order')
  const tree = memoryTree(events)
  for (const head of await readHeads(s.db)) t.equal(head.rootHash, toHex(tree.root(BigInt(head.treeSize))))
})

t.test('a rebuild reproduces the same tree and keeps the signed heads', async (t) => {
  const s = await setup(t)
  let last = -1n
  for (let i = 0; i < 20; i++) last = (await note(s.store, `case-${i % 3}`, `r${i}`)).position
  const runner = run(s, t, { headEvery: 8 })
  t.ok(await caughtUp(s, last))
  await runner.stop()
  const before = await consistencyProof(s.db, { from: '5', to: '20' })
  const headsBefore = await readHeads(s.db)
  t.same(headsBefore.map((h) => h.treeSize), ['8', '16'], 'heads in tree-size order (not text order)')
  t.equal((await ledgerHead(s.db)).treeSize, '16', 'the latest head is the largest tree')
  const head16 = headsBefore[1]!
  const eventId = (await allEvents(s.store))[2]!.eventId
  const verifies = async () => {
    const p = await inclusionProof(s.db, { eventId, treeSize: '16' })
    return verifyInclusion({ leafIndex: 2n, treeSize: 16n, leafHash: p.leafHash, auditPath: p.auditPath, rootHash: head16.rootHash })
  }
  t.ok(await verifies(), 'leaf 2 is proven against the signed head')
  // Damage leaf 3, which is leaf 2's sibling on its audit path.
  await sql`update ledger_nodes set hash = decode(repeat('00', 32), 'hex') where level = 0 and index = 3`.execute(s.db)
  t.notOk(await verifies(), 'a damaged node gives a proof that fails')

  await rebuildProjection({ db: s.db, store: s.store, projection: ledgerProjection({ signer: s.signer, headEvery: 8 }), migrations })
  t.ok(await verifies(), 'the rebuild restored the node from the events')
  t.same(await consistencyProof(s.db, { from: '5', to: '20' }), before, 'same proofs as before')
  t.same(await readHeads(s.db), headsBefore, 'heads survive the rebuild unchanged')
})

t.test('loadOrCreateSigningKey: LEDGER_SIGNING_KEY, else generated once into DATA_DIR and reused', async (t) => {
  const dataDir = join(await mkdtemp(join(tmpdir(), 'pc-ledger-key-')), 'data')
  const lines: string[] = []
  const log = { info: (obj: object, msg?: string) => void lines.push(`${msg} ${JSON.stringify(obj)}`) }
  const first = await loadOrCreateSigningKey({ dataDir, log })
  t.equal(lines.length, 1, 'the generation is logged')
  t.match(lines[0], /generated a new ledger signing key/)
  t.match(lines[0], first.keyId)
  const file = join(dataDir, 'ledger-signing-key.pem')
  t.equal((await stat(file)).mode & 0o777, 0o600, 'the key file is private')
  const again = await loadOrCreateSigningKey({ dataDir, log })
  t.equal(again.keyId, first.keyId, 'reused on the next start')
  t.equal(lines.length, 1, 'and not logged as new')

  const pem = exportPrivateKeyPem(generateSigningKeyPair().privateKey)
  const fromEnv = await loadOrCreateSigningKey({ pem: pem.replaceAll('\n', '\\n'), dataDir, log })
  t.not(fromEnv.keyId, first.keyId, 'LEDGER_SIGNING_KEY wins over the file, even with escaped newlines')
  t.equal(await readFile(file, 'utf8'), exportPrivateKeyPem(first.privateKey), 'the file is left alone')
  await t.rejects(loadOrCreateSigningKey({ pem: 'not a key', dataDir, log }), 'a bad LEDGER_SIGNING_KEY fails loudly')
  t.ok(fromHex(first.keyId).length === 8)
})
