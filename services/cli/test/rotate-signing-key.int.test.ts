import t, { type Test } from 'tap'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportPrivateKeyPem, generateSigningKeyPair, keyIdOf, loadPrivateKeyPem } from '@pc/ledger'
import { testDatabase } from '@pc/postgres/testing'
import { createReadModelDatabase, migrateReadModels } from '@pc/read-models'
import { ledgerKeys, loadOrCreateSigningKey, registerSigningKey, signingKeyFile } from '@pc/read-models/ledger'
import { runCli } from '../src/cli.js'

/**
 * `cli rotate-signing-key` on real PostgreSQL (issue 16): the new key becomes current, the old one is retired with its
 * period and stays listed; the embedded default replaces its key file, a deployment with LEDGER_SIGNING_KEY must give
 * the new key; a key used before is never made current again.
 */

async function cli(env: Record<string, string>, ...args: string[]) {
  const lines: string[] = []
  const code = await runCli(['rotate-signing-key', ...args], { env, out: (l) => void lines.push(l), err: (l) => void lines.push(l) })
  return { code, output: lines.join('\n') }
}

async function setup(t: Test, extra: Record<string, string> = {}) {
  const { url } = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-cli-rotate-signing-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const env = { DATABASE_URL: url, DATA_DIR: dataDir, LOG_LEVEL: 'silent', JWT_SECRET: 'x'.repeat(40), ...extra }
  const db = createReadModelDatabase({ connectionString: url, max: 2 })
  t.teardown(() => db.destroy())
  await migrateReadModels(db)
  // The key the projector started with, recorded as it records it.
  const signer = await loadOrCreateSigningKey({ pem: extra.LEDGER_SIGNING_KEY, dataDir, log: { info() {} } })
  await registerSigningKey(db, signer.keyId, signer.publicKeyPem)
  return { env, dataDir, db, signer }
}

t.test('embedded default: a new key is generated into DATA_DIR, the old one retired and listed', async (t) => {
  const s = await setup(t)
  const { code, output } = await cli(s.env)
  t.equal(code, 0, output)
  const file = signingKeyFile(s.dataDir)
  const current = keyIdOf(loadPrivateKeyPem(await readFile(file, 'utf8')))
  t.not(current, s.signer.keyId, 'the key file holds the new key')
  t.equal((await stat(file)).mode & 0o777, 0o600, 'and stays private')
  t.match(output, new RegExp(`^rotated: ledger signing key ${current} is current from \\S+; ${s.signer.keyId} is retired and keeps verifying`))
  t.match(output, /restart the projector/)
  const { keys } = await ledgerKeys(s.db)
  t.same(keys.map((k) => [k.keyId, k.validUntil === null]), [
    [s.signer.keyId, false],
    [current, true],
  ])
  t.same(await registerSigningKey(s.db, current, keys[1]!.publicKeyPem), { state: 'current' }, 'the projector restarted on the file signs')
  t.match(await registerSigningKey(s.db, s.signer.keyId, s.signer.publicKeyPem), { state: 'retired' }, 'the old key would not')
})

t.test('LEDGER_SIGNING_KEY set: the new key must be given, and no key file is written', async (t) => {
  const s = await setup(t, { LEDGER_SIGNING_KEY: exportPrivateKeyPem(generateSigningKeyPair().privateKey) })
  const refused = await cli(s.env)
  t.equal(refused.code, 2)
  t.match(refused.output, /LEDGER_SIGNING_KEY is set, so the new key must be given: --new-key-file/)

  const nextFile = join(s.dataDir, 'next.pem')
  const next = generateSigningKeyPair()
  await writeFile(nextFile, exportPrivateKeyPem(next.privateKey))
  const { code, output } = await cli(s.env, '--new-key-file', nextFile)
  t.equal(code, 0, output)
  t.match(output, /set LEDGER_SIGNING_KEY to the new key/)
  await t.rejects(stat(signingKeyFile(s.dataDir)), 'no key file in DATA_DIR')
  const { keys } = await ledgerKeys(s.db)
  t.same(keys.map((k) => k.keyId), [s.signer.keyId, keyIdOf(next.publicKey)])

  const again = await cli(s.env, '--new-key-file', nextFile)
  t.equal(again.code, 1)
  t.match(again.output, /is already the current ledger signing key/)
  const oldFile = join(s.dataDir, 'old.pem')
  await writeFile(oldFile, exportPrivateKeyPem(s.signer.privateKey))
  const back = await cli(s.env, '--new-key-file', oldFile)
  t.equal(back.code, 1)
  t.match(back.output, /was retired at .*; a retired key is never made current again/)
  const garbage = join(s.dataDir, 'garbage.pem')
  await writeFile(garbage, 'not a key')
  t.equal((await cli(s.env, '--new-key-file', garbage)).code, 2, 'a file that holds no key')
})
