import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeMasterKey, masterKeyFile, type PersonalDataVault } from '@pc/personal-data'
import { ConfigError, loadConfig, openRuntime } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'
import { runCli } from '../src/cli.js'

/**
 * `cli rotate-master-key` on real PostgreSQL (issue 15): every live data key is re-wrapped under the new master key;
 * data sealed before reads the same after, a destroyed key stays destroyed, no event changes, and the old master
 * key at start-up is a configuration error that names both keys — never garbage.
 */

async function cli(env: Record<string, string>, ...args: string[]) {
  const lines: string[] = []
  const code = await runCli(['rotate-master-key', ...args], { env, out: (l) => void lines.push(l), err: (l) => void lines.push(l) })
  return { code, output: lines.join('\n') }
}

async function setup(t: Test, extra: Record<string, string> = {}) {
  const { url } = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-cli-rotate-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const env = { DATABASE_URL: url, DATA_DIR: dataDir, LOG_LEVEL: 'silent', JWT_SECRET: 'x'.repeat(40), ...extra }
  const runtime = await openRuntime(loadConfig(env))
  const sealed: Sealed[] = []
  for (let i = 0; i < 5; i++) sealed.push(await runtime.vault.seal(`resident-${i}`, { name: `Resident ${i}`, phone: `138000000${i}0` }))
  await runtime.vault.forget('resident-4')
  const events = await runtime.pool.query('select count(*)::int as n from events')
  await runtime.close()
  return { env, dataDir, sealed, events: events.rows[0].n as number }
}

/** Opens the store with `env` and reads every envelope. */
async function readAll(env: Record<string, string>, sealed: readonly Sealed[]) {
  const runtime = await openRuntime(loadConfig(env))
  try {
    return await runtime.vault.openAll(sealed)
  } finally {
    await runtime.close()
  }
}

type Sealed = Awaited<ReturnType<PersonalDataVault['seal']>>

const expected = [0, 1, 2, 3].map((i) => ({ name: `Resident ${i}`, phone: `138000000${i}0` }))

t.test('the embedded default: a new key generated into DATA_DIR, the old one refused', async (t) => {
  const s = await setup(t)
  const before = await readFile(masterKeyFile(s.dataDir), 'utf8')
  const rotated = await cli(s.env)
  t.equal(rotated.code, 0, rotated.output)
  t.match(rotated.output, /^rotated: 4 data keys re-wrapped under master key [0-9a-f]+ \(was [0-9a-f]+\)/, 'the destroyed key is not re-wrapped')
  const after = await readFile(masterKeyFile(s.dataDir), 'utf8')
  t.not(after, before, 'the key file holds the new key')
  t.equal((await stat(masterKeyFile(s.dataDir))).mode & 0o777, 0o600, 'readable by its owner only')
  await t.rejects(stat(`${masterKeyFile(s.dataDir)}.next`), { code: 'ENOENT' }, 'no staged file left behind')

  t.same(await readAll(s.env, s.sealed), [...expected, { erased: true }], 'old data reads after rotation; erased stays erased')

  const withOldKey = { ...s.env, PII_MASTER_KEY: before.trim() }
  await t.rejects(openRuntime(loadConfig(withOldKey)), ConfigError, 'the old master key is a configuration error at start-up')
  await t.rejects(openRuntime(loadConfig(withOldKey)), { message: /PII_MASTER_KEY \(key id [0-9a-f]+\) is not the key the stored personal-data keys are wrapped with/ })

  const twice = await cli(s.env)
  t.equal(twice.code, 0, 'a second rotation works from the rotated state')
  t.same(await readAll(s.env, s.sealed), [...expected, { erased: true }])
})

t.test('PII_MASTER_KEY set: the new key comes from a file, then PII_MASTER_KEY must follow', async (t) => {
  const first = encodeMasterKey(randomBytes(32))
  const s = await setup(t, { PII_MASTER_KEY: first })
  const missing = await cli(s.env)
  t.equal(missing.code, 2)
  t.match(missing.output, /PII_MASTER_KEY is set, so the new key must be given: --new-key-file/)

  const bad = join(s.dataDir, 'bad.key')
  await writeFile(bad, 'not a key\n')
  const refused = await cli(s.env, '--new-key-file', bad)
  t.equal(refused.code, 2)
  t.match(refused.output, /does not hold a base64 key of 32 bytes/)
  t.notMatch(refused.output, /not a key/, 'the file content is not echoed')

  const same = join(s.dataDir, 'same.key')
  await writeFile(same, `${first}\n`)
  t.equal((await cli(s.env, '--new-key-file', same)).code, 2, 'the current key is no new key')

  const second = encodeMasterKey(randomBytes(32))
  const file = join(s.dataDir, 'next.key')
  await writeFile(file, `${second}\n`, { mode: 0o600 })
  const rotated = await cli(s.env, '--new-key-file', file)
  t.equal(rotated.code, 0, rotated.output)
  t.match(rotated.output, /set PII_MASTER_KEY to the new key before the next start/)
  t.notOk(rotated.output.includes(second), 'the key itself is never printed')
  await t.rejects(stat(masterKeyFile(s.dataDir)), { code: 'ENOENT' }, 'nothing written into DATA_DIR')

  t.same(await readAll({ ...s.env, PII_MASTER_KEY: second }, s.sealed), [...expected, { erased: true }], 'the new key reads everything')
  await t.rejects(openRuntime(loadConfig(s.env)), ConfigError, 'the old PII_MASTER_KEY no longer opens the store')

  const runtime = await openRuntime(loadConfig({ ...s.env, PII_MASTER_KEY: second }))
  t.teardown(() => runtime.close())
  const events = await runtime.pool.query('select count(*)::int as n from events')
  t.equal(events.rows[0].n, s.events, 'no event written or changed')
})
