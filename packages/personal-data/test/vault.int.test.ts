import { testDatabase } from '@pc/postgres/testing'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import t, { type Test } from 'tap'
import { MasterKeyMismatchError, newMasterKey, PersonalDataVault, type PersonalDataTables } from '../src/index.js'

async function database(t: Test) {
  const { url } = await testDatabase(t)
  const db = new Kysely<PersonalDataTables>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 4 }) }) })
  t.teardown(() => db.destroy())
  return db
}

const contact = { name: '李伟', phone: '138 0013 8000' }

t.test('seal and open; a forget erases every envelope under the destroyed keys and no other', async (t) => {
  const db = await database(t)
  const vault = await PersonalDataVault.open(db, newMasterKey())
  const mine = await vault.seal('resident-1', contact)
  const again = await vault.seal('resident-1', { name: '李伟' })
  const other = await vault.seal('resident-2', { name: '王芳' })
  t.equal(mine.subject, 'resident-1')
  t.equal(mine.keyId, again.keyId, 'one key per subject and generation')
  t.not(mine.iv, again.iv, 'a fresh IV per envelope')
  t.notMatch(JSON.stringify(mine), /李伟|138/, 'the envelope holds no clear text')
  t.same(await vault.openAll([mine, other]), [contact, { name: '王芳' }])

  t.same(await vault.forget('resident-1'), { kind: 'forgotten', keys: 1 })
  t.same(await vault.openAll([mine, again, other]), [{ erased: true }, { erased: true }, { name: '王芳' }])
  t.same(await vault.forget('resident-1'), { kind: 'already_forgotten' }, 'twice: nothing left to destroy')
  t.same(await vault.forget('nobody'), { kind: 'unknown' })
  t.equal(await vault.isKnown('resident-1'), true)

  const later = await vault.seal('resident-1', { name: '李伟' })
  t.not(later.keyId, mine.keyId, 'new data after a forget is under a fresh generation')
  t.same(await vault.openAll([later, mine]), [{ name: '李伟' }, { erased: true }], 'it reads; the old stays erased')
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from personal_data_keys where wrapped is not null`.execute(db)
  t.equal(rows[0]!.n, 2, 'live keys: resident-1 generation 2 and resident-2')
})

t.test('a tampered envelope or one moved to another subject does not open', async (t) => {
  const db = await database(t)
  const vault = await PersonalDataVault.open(db, newMasterKey())
  const sealed = await vault.seal('resident-1', contact)
  const flipped = { ...sealed, ciphertext: `${sealed.ciphertext.slice(0, -2)}${sealed.ciphertext.endsWith('AA') ? 'AB' : 'AA'}` }
  await t.rejects(vault.openAll([flipped]), 'GCM refuses a changed byte')
  t.same(await vault.openAll([{ ...sealed, subject: 'resident-2' }]), [{ erased: true }], "another subject's name on it: no key of theirs")
})

t.test('master key: a wrong one is refused at open; a rotation re-wraps every key and old envelopes still open', async (t) => {
  const db = await database(t)
  const first = newMasterKey()
  const vault = await PersonalDataVault.open(db, first)
  const sealed = await Promise.all(['a', 'b', 'c'].map((s) => vault.seal(`resident-${s}`, { name: s })))
  await vault.forget('resident-c')
  await t.rejects(PersonalDataVault.open(db, newMasterKey()), MasterKeyMismatchError)
  await t.rejects(PersonalDataVault.open(db, newMasterKey()), { message: /PII_MASTER_KEY \(key id [0-9a-f]{16}\) is not the key/ })

  const second = newMasterKey()
  t.equal(await vault.rotateMasterKey(second), 2, 'the two live keys are re-wrapped; the destroyed one stays destroyed')
  await t.rejects(PersonalDataVault.open(db, first), MasterKeyMismatchError, 'the old master key no longer opens the store')
  const rotated = await PersonalDataVault.open(db, second)
  t.same(await rotated.openAll(sealed), [{ name: 'a' }, { name: 'b' }, { erased: true }])
})

t.test('concurrent seals for a new subject agree on one key', async (t) => {
  const db = await database(t)
  const vault = await PersonalDataVault.open(db, newMasterKey())
  const sealed = await Promise.all(Array.from({ length: 8 }, (_, i) => vault.seal('resident-x', { n: i })))
  t.equal(new Set(sealed.map((s) => s.keyId)).size, 1)
  t.same((await vault.openAll(sealed)).map((v) => (v as { n: number }).n), [0, 1, 2, 3, 4, 5, 6, 7])
})
