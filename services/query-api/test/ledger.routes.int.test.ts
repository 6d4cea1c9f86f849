import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { testDatabase } from '@pc/postgres/testing'
import {
  MemoryMerkleTree,
  ZERO_HASH,
  exportPrivateKeyPem,
  generateSigningKeyPair,
  leafHashOfEvent,
  leafInputOfEventHash,
  loadPublicKeyPem,
  sealEvents,
  toHex,
  verifyConsistency,
  verifyInclusion,
  verifyTreeHead,
} from '@pc/ledger'
import type { DeliveredEvent, EventStore, NewEvent, RecordedEvent } from '@pc/event-store'
import { loadConfig, openRuntime, signToken, type Role } from '@pc/platform'
import { applyBatch, checkpointOfRow, createReadModelDatabase, ensureCheckpoint, type Database } from '@pc/read-models'
import {
  LEDGER_CHECKPOINT_STREAM,
  LedgerHeadWorker,
  TREE_HEAD_SIGNED,
  ledgerProjection,
  rotateSigningKey,
  signerFromPem,
  type LedgerSigner,
} from '@pc/read-models/ledger'
import type { Kysely } from 'kysely'
import { buildServer } from '../src/server.js'

const SECRET = 'test-secret-that-is-long-enough-for-hs256'

/**
 * `GET /v1/ledger/{head,public-key,proofs/inclusion,proofs/consistency}` on real PostgreSQL: ten sealed events in
 * three streams, the ledger projection applied with a head every four leaves (heads at 4 and 8, published to
 * `ledger-checkpoints`). Every answer is checked the way a committee member would: with the public key and the
 * RFC 6962 verifiers, against a tree rebuilt here from the stored events.
 */

async function setup(t: Test, events = 10) {
  const { url } = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-query-ledger-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({ DATABASE_URL: url, DATA_DIR: dataDir, JWT_SECRET: SECRET, LOG_LEVEL: 'silent' })
  const runtime = await openRuntime(config, { poolMax: 4 })
  t.teardown(() => runtime.close())
  // The app migrates the read models; the test then writes the ledger into them through the projection.
  const app = await buildServer(config, runtime)
  t.teardown(() => app.close())
  const db = createReadModelDatabase({ connectionString: url, max: 2 })
  t.teardown(() => db.destroy())

  const store = runtime.eventStore
  for (let i = 0; i < events; i++) await note(store, `case-${i % 3}`, `note ${i}`)
  const signer = signerFromPem(exportPrivateKeyPem(generateSigningKeyPair().privateKey))
  const project = () => projectLedger(db, store, signer, 4)
  await project()
  await new LedgerHeadWorker({ db, store, signer }).publishPending()

  const stored = await all(store)
  const leaves = stored.filter((e) => e.streamId !== LEDGER_CHECKPOINT_STREAM)
  const tree = new MemoryMerkleTree()
  for (const e of leaves) tree.append(leafInputOfEventHash(e.metadata.hash))
  return { app, db, store, signer, stored, leaves, tree, project }
}

/** One sealed event, chained onto its stream as the command handler does. */
async function note(store: EventStore, streamId: string, text: string) {
  let last: RecordedEvent | undefined
  for await (const e of store.readStream(streamId, { from: 'end', direction: 'backwards', maxCount: 1 })) last = e
  const [event] = sealEvents(streamId, last ? last.revision + 1n : 0n, last?.metadata.hash ?? ZERO_HASH, [
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

/** Everything new through the ledger projection in one batch, as the runner would apply it. */
async function projectLedger(db: Kysely<Database>, store: EventStore, signer: LedgerSigner, headEvery: number) {
  const projection = ledgerProjection({ signer, headEvery })
  const row = await ensureCheckpoint(db, projection.name, projection.version)
  const events: DeliveredEvent[] = []
  for await (const e of store.readAll({ after: checkpointOfRow(row) })) events.push(e)
  await applyBatch(db, projection, events, checkpointOfRow(row))
}

async function all(store: EventStore): Promise<DeliveredEvent[]> {
  const events: DeliveredEvent[] = []
  for await (const e of store.readAll()) events.push(e)
  return events
}

type App = Awaited<ReturnType<typeof setup>>['app']

async function get(app: App, url: string, roles: Role[] = ['auditor']) {
  const token = await signToken(SECRET, { sub: 'reader-1', roles })
  return app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })
}

t.test('GET /v1/ledger/head and /v1/ledger/public-key: the latest head verifies with the served key', async (t) => {
  const s = await setup(t)
  const res = await get(s.app, '/v1/ledger/head')
  t.equal(res.statusCode, 200, res.body)
  const head = res.json()
  t.same(Object.keys(head).sort(), ['keyId', 'origin', 'rootHash', 'signature', 'timestamp', 'treeSize', 'version'])
  t.equal(head.version, 2)
  t.equal(head.origin, 'property-cases', 'the default LEDGER_ORIGIN')
  t.equal(head.treeSize, '8', 'heads every 4 leaves: 8 of the 10 are signed')
  t.equal(head.rootHash, toHex(s.tree.root(8n)), 'its root is the root of the first 8 stored events')

  const keyRes = await get(s.app, '/v1/ledger/public-key', ['committee'])
  t.equal(keyRes.statusCode, 200, keyRes.body)
  const key = keyRes.json()
  t.same(Object.keys(key).sort(), ['keyId', 'publicKeyPem'])
  t.equal(key.keyId, head.keyId)
  t.equal(key.publicKeyPem, s.signer.publicKeyPem)
  t.match(key.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/, 'SPKI PEM')
  t.same(verifyTreeHead(head, loadPublicKeyPem(key.publicKeyPem)), { ok: true }, 'the signature verifies with it')
  t.notOk(verifyTreeHead({ ...head, treeSize: '7' }, loadPublicKeyPem(key.publicKeyPem)).ok, 'and binds the size')

  const published = s.stored.filter((e) => e.streamId === LEDGER_CHECKPOINT_STREAM)
  t.same(published.map((e) => e.type), [TREE_HEAD_SIGNED, TREE_HEAD_SIGNED], 'both heads appended to ledger-checkpoints')
  t.same(published.at(-1)?.data, head, 'the served head is the last one published')

  t.equal((await get(s.app, `/v1/ledger/public-key?keyId=${head.keyId}`)).json().publicKeyPem, key.publicKeyPem, 'by key id')
  const unknown = await get(s.app, '/v1/ledger/public-key?keyId=0123456789abcdef')
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().code, 'NOT_FOUND')
})

t.test('GET /v1/ledger/keys after a rotation: every key with its period; old heads verify with the old key', async (t) => {
  const s = await setup(t)
  const before = await get(s.app, '/v1/ledger/keys', ['committee'])
  t.equal(before.statusCode, 200, before.body)
  const [only] = before.json().keys
  t.same(Object.keys(only).sort(), ['keyId', 'publicKeyPem', 'validFrom', 'validUntil'])
  t.equal(only.keyId, s.signer.keyId)
  t.equal(only.validUntil, null, 'the current key has no end')
  const oldHead = (await get(s.app, '/v1/ledger/head')).json()

  const next = signerFromPem(exportPrivateKeyPem(generateSigningKeyPair().privateKey))
  const rotation = await rotateSigningKey(s.db, next)
  t.equal(rotation.previous, s.signer.keyId)
  for (let i = 0; i < 6; i++) await note(s.store, 'case-1', `after the rotation ${i}`)
  await projectLedger(s.db, s.store, s.signer, 4)
  t.equal((await get(s.app, '/v1/ledger/head')).json().treeSize, '8', 'the retired key signs nothing more, though the tree grew')
  const later = () => new Date(Date.now() + 3_600_000)
  const stale = await new LedgerHeadWorker({ db: s.db, store: s.store, signer: s.signer, now: later }).tick()
  t.equal(stale.signed, undefined, "nor does the old key's head worker")
  const fresh = await new LedgerHeadWorker({ db: s.db, store: s.store, signer: next, now: later }).tick()
  t.equal(fresh.signed?.treeSize, '16', "the new key's head worker signs the grown tree")
  const newHead = (await get(s.app, '/v1/ledger/head')).json()
  t.equal(newHead.keyId, next.keyId, 'the new key signs the next head')

  const { keys } = (await get(s.app, '/v1/ledger/keys')).json() as { keys: Array<{ keyId: string; publicKeyPem: string; validFrom: string; validUntil: string | null }> }
  t.same(
    keys.map((k) => [k.keyId, k.validUntil === null ? 'current' : 'retired']),
    [
      [s.signer.keyId, 'retired'],
      [next.keyId, 'current'],
    ],
  )
  t.equal(keys[0]!.validUntil, rotation.at, "the old key's period ends at the rotation")
  t.equal(keys[1]!.validFrom, rotation.at, "and the new key's starts there")
  t.ok(Date.parse(oldHead.timestamp) <= Date.parse(keys[0]!.validUntil!), 'the old head is inside its key period')
  const byId = new Map(keys.map((k) => [k.keyId, loadPublicKeyPem(k.publicKeyPem)]))
  t.same(verifyTreeHead(oldHead, byId.get(oldHead.keyId)!), { ok: true }, 'the old head verifies with the old key')
  t.same(verifyTreeHead(newHead, byId.get(newHead.keyId)!), { ok: true }, 'the new head with the new key')
  const consistency = (await get(s.app, `/v1/ledger/proofs/consistency?from=${oldHead.treeSize}&to=${newHead.treeSize}`)).json()
  t.ok(verifyConsistency({ ...consistency, fromRoot: oldHead.rootHash, toRoot: newHead.rootHash }), 'and the two trees are consistent across the rotation')
})

t.test('GET /v1/ledger/head before any head is signed: 404', async (t) => {
  const s = await setup(t, 3)
  const res = await get(s.app, '/v1/ledger/head')
  t.equal(res.statusCode, 404)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(res.json().code, 'NOT_FOUND')
})

t.test('GET /v1/ledger/proofs/inclusion: every event proven against the signed head, or a tree it names', async (t) => {
  const s = await setup(t)
  const head = (await get(s.app, '/v1/ledger/head')).json()
  for (const [index, event] of s.leaves.slice(0, 8).entries()) {
    const res = await get(s.app, `/v1/ledger/proofs/inclusion?eventId=${event.eventId}`, ['manager'])
    t.equal(res.statusCode, 200, res.body)
    const proof = res.json()
    t.same(Object.keys(proof).sort(), ['auditPath', 'leafHash', 'leafIndex', 'rootHash', 'treeSize'])
    t.same([proof.leafIndex, proof.treeSize, proof.rootHash], [String(index), '8', head.rootHash], `event ${index}: against the head`)
    t.equal(proof.leafHash, toHex(leafHashOfEvent(event.metadata.hash)), 'leaf hash = SHA-256(0x00 ‖ event hash)')
    t.same(proof.auditPath, s.tree.inclusionProof(BigInt(index), 8n).map(toHex), 'the RFC 6962 audit path')
    const check = { ...proof, leafIndex: BigInt(proof.leafIndex), treeSize: BigInt(proof.treeSize) }
    t.ok(verifyInclusion(check), 'verifies')
    t.notOk(verifyInclusion({ ...check, leafIndex: check.leafIndex ^ 1n }), 'not as another leaf')
  }

  const newest = s.leaves[9]!
  const past = await get(s.app, `/v1/ledger/proofs/inclusion?eventId=${newest.eventId}`)
  t.equal(past.statusCode, 422, 'an event after the latest head is not in its tree')
  t.match(past.json(), { code: 'RULE_VIOLATED', rule: 'LEAF_NOT_IN_TREE', errors: [{ path: 'treeSize' }] })
  const named = (await get(s.app, `/v1/ledger/proofs/inclusion?eventId=${newest.eventId}&treeSize=10`)).json()
  t.same([named.leafIndex, named.treeSize, named.rootHash], ['9', '10', toHex(s.tree.root(10n))], 'in the whole tree it is')
  t.ok(verifyInclusion({ ...named, leafIndex: 9n, treeSize: 10n }))
  const upper = (await get(s.app, `/v1/ledger/proofs/inclusion?eventId=${newest.eventId.toUpperCase()}&treeSize=10`)).json()
  t.equal(upper.leafIndex, '9', 'event ids are case-insensitive')
})

t.test('GET /v1/ledger/proofs/consistency: the heads extend one another', async (t) => {
  const s = await setup(t)
  const root = (n: bigint) => s.tree.root(n)
  for (const [from, to] of [[4n, 8n], [1n, 10n], [5n, 7n], [8n, 10n], [3n, 3n], [0n, 10n]] as const) {
    const res = await get(s.app, `/v1/ledger/proofs/consistency?from=${from}&to=${to}`, ['committee'])
    t.equal(res.statusCode, 200, res.body)
    const body = res.json()
    t.same([body.from, body.to], [String(from), String(to)])
    t.same(body.proof, from === 0n || from === to ? [] : s.tree.consistencyProof(from, to).map(toHex), `${from} → ${to}: the RFC 6962 proof`)
    t.ok(verifyConsistency({ from, to, fromRoot: root(from), toRoot: root(to), proof: body.proof }), `${from} → ${to} verifies`)
    if (from > 0n && from < to) {
      t.notOk(verifyConsistency({ from, to, fromRoot: root(from - 1n), toRoot: root(to), proof: body.proof }), 'not from another tree')
    }
  }
})

t.test('bad input is 400 naming the parameter; sizes beyond the tree are 422; an unknown event 404 — never 500', async (t) => {
  const s = await setup(t)
  const eventId = s.leaves[0]!.eventId
  const cases: Array<[url: string, status: number, code: string, path: string | undefined]> = [
    ['/v1/ledger/proofs/inclusion', 400, 'VALIDATION_FAILED', 'query.eventId'],
    ['/v1/ledger/proofs/inclusion?eventId=not-a-uuid', 400, 'VALIDATION_FAILED', 'query.eventId'],
    [`/v1/ledger/proofs/inclusion?eventId=${eventId}&treeSize=-1`, 400, 'VALIDATION_FAILED', 'query.treeSize'],
    [`/v1/ledger/proofs/inclusion?eventId=${eventId}&treeSize=1e3`, 400, 'VALIDATION_FAILED', 'query.treeSize'],
    [`/v1/ledger/proofs/inclusion?eventId=${eventId}&treeSize=007`, 400, 'VALIDATION_FAILED', 'query.treeSize'],
    [`/v1/ledger/proofs/inclusion?eventId=${eventId}&treeSize=11`, 422, 'RULE_VIOLATED', 'treeSize'],
    [`/v1/ledger/proofs/inclusion?eventId=${eventId}&treeSize=9223372036854775807`, 422, 'RULE_VIOLATED', 'treeSize'],
    // Past a PostgreSQL bigint it is no size at all: the shared position schema refuses it.
    [`/v1/ledger/proofs/inclusion?eventId=${eventId}&treeSize=123456789012345678901234567890`, 400, 'VALIDATION_FAILED', 'query.treeSize'],
    [`/v1/ledger/proofs/inclusion?eventId=${eventId}&treeSize=0`, 422, 'RULE_VIOLATED', 'treeSize'],
    [`/v1/ledger/proofs/inclusion?eventId=${randomUUID()}`, 404, 'NOT_FOUND', undefined],
    ['/v1/ledger/proofs/consistency', 400, 'VALIDATION_FAILED', 'query.from'],
    ['/v1/ledger/proofs/consistency?from=4', 400, 'VALIDATION_FAILED', 'query.to'],
    ['/v1/ledger/proofs/consistency?from=x&to=8', 400, 'VALIDATION_FAILED', 'query.from'],
    ['/v1/ledger/proofs/consistency?from=8&to=4', 400, 'VALIDATION_FAILED', 'query.from'],
    ['/v1/ledger/proofs/consistency?from=4&to=11', 422, 'RULE_VIOLATED', 'to'],
    ['/v1/ledger/proofs/consistency?from=11&to=12', 422, 'RULE_VIOLATED', 'to'],
    ['/v1/ledger/public-key?keyId=NOT-HEX', 400, 'VALIDATION_FAILED', 'query.keyId'],
  ]
  for (const [url, status, code, path] of cases) {
    const res = await get(s.app, url)
    t.equal(res.statusCode, status, `${url} → ${status}`)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    const body = res.json()
    t.equal(body.code, code)
    if (path) t.ok(body.errors?.some((e: { path: string }) => e.path === path), `names ${path}: ${JSON.stringify(body.errors)}`)
  }
})

t.test('committee members, auditors and managers may read the ledger; other roles 403, no token 401', async (t) => {
  const s = await setup(t, 4)
  const eventId = s.leaves[0]!.eventId
  const urls = [
    '/v1/ledger/head',
    '/v1/ledger/public-key',
    '/v1/ledger/keys',
    `/v1/ledger/proofs/inclusion?eventId=${eventId}`,
    '/v1/ledger/proofs/consistency?from=1&to=4',
  ]
  for (const url of urls) {
    for (const role of ['committee', 'auditor', 'manager'] as const) t.equal((await get(s.app, url, [role])).statusCode, 200, `${role}: ${url}`)
    for (const role of ['resident', 'staff', 'technician', 'mediator', 'admin'] as const) {
      const res = await get(s.app, url, [role])
      t.equal(res.statusCode, 403, `${role}: ${url}`)
      t.equal(res.json().code, 'FORBIDDEN')
    }
    t.equal((await get(s.app, url, ['resident', 'auditor'])).statusCode, 200, 'any one of the roles is enough')
    const anonymous = await s.app.inject({ method: 'GET', url })
    t.equal(anonymous.statusCode, 401)
    t.equal(anonymous.json().code, 'UNAUTHENTICATED')
  }
})

t.test('the OpenAPI document lists the ledger routes with their parameters', async (t) => {
  const s = await setup(t, 0)
  const res = await s.app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const paths = res.json().paths as Record<string, { get?: { parameters?: Array<{ name: string; in: string }> } }>
  const names = (path: string) => (paths[path]?.get?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name).sort()
  t.same(names('/v1/ledger/head'), ['waitFor'])
  t.same(names('/v1/ledger/public-key'), ['keyId', 'waitFor'])
  t.same(names('/v1/ledger/keys'), ['waitFor'])
  t.same(names('/v1/ledger/proofs/inclusion'), ['eventId', 'treeSize', 'waitFor'])
  t.same(names('/v1/ledger/proofs/consistency'), ['from', 'to', 'waitFor'])
})

t.test('waitFor: a proof of an event just written, once the ledger has made it a leaf; X-Projection-Position', async (t) => {
  const s = await setup(t)
  const res = await get(s.app, '/v1/ledger/head')
  t.equal(res.headers['x-projection-position'], String(s.leaves.at(-1)!.position), 'how far the ledger had got')

  const { position } = await note(s.store, 'case-0', 'written just now')
  const written = (await all(s.store)).find((e) => e.position === position)!
  const url = `/v1/ledger/proofs/inclusion?eventId=${written.eventId}&treeSize=11`
  t.equal((await get(s.app, url)).statusCode, 404, 'without waitFor: not in the ledger yet')

  const waiting = get(s.app, `${url}&waitFor=${position}`)
  await new Promise((resolve) => setTimeout(resolve, 100))
  await s.project()
  const proved = await waiting
  t.equal(proved.statusCode, 200, proved.body)
  t.equal(proved.headers['x-projection-position'], String(position))
  t.equal(proved.headers['x-projection-stale'], undefined)
  s.tree.append(leafInputOfEventHash(written.metadata.hash))
  t.same(proved.json(), {
    leafIndex: '10',
    treeSize: '11',
    leafHash: toHex(s.tree.leafHash(10n)),
    auditPath: s.tree.inclusionProof(10n, 11n).map(toHex),
    rootHash: toHex(s.tree.root(11n)),
  })
  t.equal((await get(s.app, `/v1/ledger/head?waitFor=x`)).statusCode, 400, 'waitFor must be a position')
})
