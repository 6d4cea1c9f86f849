import { sign } from 'node:crypto'
import t, { type Test } from 'tap'
import { testDatabase } from '@pc/postgres/testing'
import { canonicalJson, exportPrivateKeyPem, generateSigningKeyPair, signTreeHead, treeHead, verifyTreeHead } from '@pc/ledger'
import { createReadModelDatabase, migrateReadModels, readModelMigrations } from '../src/index.js'
import {
  ledgerHead,
  ledgerKeys,
  readHeads,
  readPublicKeys,
  registerSigningKey,
  rotateSigningKey,
  signerFromPem,
  SigningKeyRotationError,
  type LedgerSigner,
} from '../src/ledger/index.js'
import { insertHead, type LedgerDb } from '../src/ledger/ledger.repository.js'

/**
 * Keys that live for years (issue 16): the one current key, rotations that retire it with a period every old head
 * stays inside, and the migration that gives a ledger from before rotations were recorded its periods and keeps its
 * version 1 heads verifiable.
 */

const ROOT = 'aa'.repeat(32)

async function database(t: Test, migrations = readModelMigrations) {
  const { url } = await testDatabase(t)
  const db = createReadModelDatabase({ connectionString: url, max: 2 })
  t.teardown(() => db.destroy())
  await migrateReadModels(db, { migrations })
  return db
}

/** A head of `treeSize` leaves signed now by `signer`, stored as the projection stores one; false if refused. */
function insertHeadForTest(db: LedgerDb, signer: LedgerSigner, treeSize: bigint): Promise<boolean> {
  return insertHead(db, signTreeHead(treeHead(treeSize, ROOT, new Date(), signer.origin), signer.privateKey), signer.publicKeyPem)
}

const newSigner = (origin?: string): LedgerSigner => signerFromPem(exportPrivateKeyPem(generateSigningKeyPair().privateKey), origin)

t.test('the first key becomes current; any other key only through a rotation, and a retired key never again', async (t) => {
  const db = await database(t)
  const a = newSigner()
  const b = newSigner()
  t.same(await registerSigningKey(db, a.keyId, a.publicKeyPem), { state: 'current' }, 'the first key of a ledger')
  t.same(await registerSigningKey(db, b.keyId, b.publicKeyPem), { state: 'unknown', current: a.keyId }, 'configuration alone changes no key')
  t.equal(await insertHeadForTest(db, b, 4n), false, 'a key that is not current signs nothing')
  t.equal(await insertHeadForTest(db, a, 4n), true)

  const rotation = await rotateSigningKey(db, b, new Date('2020-01-01T00:00:00Z'))
  t.equal(rotation.previous, a.keyId)
  t.equal(rotation.current, b.keyId)
  t.ok(rotation.at >= (await ledgerHead(db)).timestamp, "a clock behind the old key's last head does not cut that head out of its period")
  t.match(await registerSigningKey(db, a.keyId, a.publicKeyPem), { state: 'retired', retiredAt: rotation.at, current: b.keyId })
  t.same(await registerSigningKey(db, b.keyId, b.publicKeyPem), { state: 'current' })
  t.equal(await insertHeadForTest(db, a, 8n), false, 'the retired key signs nothing more')
  t.equal(await insertHeadForTest(db, b, 8n), true)

  await t.rejects(rotateSigningKey(db, a), SigningKeyRotationError, 'back to a retired key: refused')
  await t.rejects(rotateSigningKey(db, b), { message: `the key ${b.keyId} is already the current ledger signing key` })
  const { keys } = await ledgerKeys(db)
  t.same(
    keys.map((k) => ({ keyId: k.keyId, validUntil: k.validUntil })),
    [
      { keyId: a.keyId, validUntil: rotation.at },
      { keyId: b.keyId, validUntil: null },
    ],
  )
  t.equal(keys[1]!.validFrom, rotation.at)
  const heads = await readHeads(db)
  t.same(heads.map((h) => [h.treeSize, h.keyId, h.version, h.origin]), [
    ['4', a.keyId, 2, 'property-cases'],
    ['8', b.keyId, 2, 'property-cases'],
  ])
})

t.test('a ledger from before rotations: the migration gives every key its period and keeps version 1 heads verifiable', async (t) => {
  const before = Object.fromEntries(Object.entries(readModelMigrations).filter(([name]) => name < '0010'))
  const db = await database(t, before)
  const a = newSigner()
  const b = newSigner()
  // As the old code stored them: a key recorded at its first use, heads signed over { treeSize, rootHash, timestamp }.
  const legacy = (signer: LedgerSigner, treeSize: string, timestamp: string) => {
    const fields = { treeSize, rootHash: ROOT, timestamp }
    return { ...fields, signature: sign(null, Buffer.from(canonicalJson(fields)), signer.privateKey).toString('base64'), keyId: signer.keyId }
  }
  const heads = [legacy(a, '4', '2024-01-01T10:00:00.000Z'), legacy(a, '8', '2024-01-02T10:00:00.000Z'), legacy(b, '12', '2024-01-03T10:00:00.000Z')]
  await db.insertInto('ledger_keys').values([
    { key_id: a.keyId, public_key_pem: a.publicKeyPem, first_used_at: '2024-01-01T09:00:00.000Z' },
    // B was recorded (its worker started) before A's last head: A's period runs to that head, not to B's start.
    { key_id: b.keyId, public_key_pem: b.publicKeyPem, first_used_at: '2024-01-02T09:00:00.000Z' },
  ]).execute()
  for (const h of heads) {
    await db.insertInto('ledger_heads').values({ tree_size: h.treeSize, root_hash: h.rootHash, signed_at: h.timestamp, signature: h.signature, key_id: h.keyId }).execute()
  }
  await migrateReadModels(db)

  t.same(
    (await readPublicKeys(db)).map((k) => [k.keyId, k.validFrom, k.validUntil]),
    [
      [a.keyId, '2024-01-01T09:00:00.000Z', '2024-01-02T10:00:00.000Z'],
      [b.keyId, '2024-01-02T09:00:00.000Z', null],
    ],
  )
  const stored = await readHeads(db)
  for (const head of stored) {
    t.equal(head.version, undefined, `head ${head.treeSize} is served as it was signed: no version, no origin`)
    const signer = head.keyId === a.keyId ? a : b
    t.same(verifyTreeHead(head, signer.publicKey), { ok: true }, `version 1 head ${head.treeSize} still verifies`)
  }
  t.same(await registerSigningKey(db, b.keyId, b.publicKeyPem), { state: 'current' }, 'the last key used stays current')
  t.equal(await insertHeadForTest(db, b, 16n), true, 'and signs version 2 heads from now on')
  t.equal((await ledgerHead(db)).version, 2)
})

t.test('signing with an origin: the head names it and verifies only as that log', async (t) => {
  const signer = newSigner('cases.estate-a.example')
  const head = signTreeHead(treeHead(4n, ROOT, new Date(), signer.origin), signer.privateKey)
  t.same(verifyTreeHead(head, signer.publicKey, { origin: 'cases.estate-a.example' }), { ok: true })
  t.match(verifyTreeHead(head, signer.publicKey, { origin: 'cases.estate-b.example' }), { ok: false, problem: 'wrong_origin' })
})
