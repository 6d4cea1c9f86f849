import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { testDatabase } from '@pc/postgres/testing'
import t, { type Test } from 'tap'
import { ConfigError, actorOf, createHttpServer, loadConfig, openRuntime, requireAuthentication, signToken } from '../src/index.js'

/**
 * A JWT secret rotation (`JWT_SECRET` new, `JWT_SECRET_PREVIOUS` the old one) through the shared server, as every
 * service builds it from configuration: tokens signed with either secret are accepted, tokens signed with any other
 * are 401, and the runtime signs with the current one only.
 */

const CURRENT = 'current-secret-that-is-long-enough-for-hs256'
const PREVIOUS = 'previous-secret-that-is-long-enough-for-hs256'
const OTHER = 'some-other-secret-that-is-long-enough-for-hs256'

async function server(t: Test, env: Record<string, string>) {
  const { url } = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-jwt-rotation-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({ DATABASE_URL: url, DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env })
  const runtime = await openRuntime(config, { poolMax: 2 })
  t.teardown(() => runtime.close())
  const app = await createHttpServer(config, runtime)
  await app.register(
    async (v1) => {
      requireAuthentication(v1)
      v1.get('/whoami', async (request) => ({ id: actorOf(request).id }))
    },
    { prefix: '/v1' },
  )
  t.teardown(() => app.close())
  const whoami = async (secret: string) =>
    app.inject({
      method: 'GET',
      url: '/v1/whoami',
      headers: { authorization: `Bearer ${await signToken(secret, { sub: 'staff-1', roles: ['staff'] })}` },
    })
  return { runtime, whoami }
}

t.test('JWT_SECRET_PREVIOUS: tokens of the previous secret still pass, tokens of any other secret are 401', async (t) => {
  const s = await server(t, { JWT_SECRET: CURRENT, JWT_SECRET_PREVIOUS: PREVIOUS })
  const current = await s.whoami(CURRENT)
  t.equal(current.statusCode, 200)
  t.same(current.json(), { id: 'staff-1' })
  const previous = await s.whoami(PREVIOUS)
  t.equal(previous.statusCode, 200, 'a token issued before the rotation still works')
  t.same(previous.json(), { id: 'staff-1' })
  const other = await s.whoami(OTHER)
  t.equal(other.statusCode, 401, 'signed with neither secret')
  t.equal(other.json().code, 'UNAUTHENTICATED')
  t.equal(s.runtime.jwtSecret, CURRENT, 'new tokens (cli token) are signed with the current secret only')
  t.same(s.runtime.jwtSecrets, [CURRENT, PREVIOUS])
})

t.test('without JWT_SECRET_PREVIOUS a token of the old secret is 401 (what a rotation did before)', async (t) => {
  const s = await server(t, { JWT_SECRET: CURRENT })
  t.equal((await s.whoami(CURRENT)).statusCode, 200)
  t.equal((await s.whoami(PREVIOUS)).statusCode, 401)
  t.same(s.runtime.jwtSecrets, [CURRENT])
})

t.test('JWT_SECRET_PREVIOUS is a secret: checked like JWT_SECRET and never echoed', async (t) => {
  t.equal(loadConfig({ JWT_SECRET_PREVIOUS: PREVIOUS }).jwtSecretPrevious, PREVIOUS)
  t.equal(loadConfig({ JWT_SECRET_PREVIOUS: ' ' }).jwtSecretPrevious, undefined, 'blank is unset')
  let message = ''
  try {
    loadConfig({ JWT_SECRET_PREVIOUS: 'short-old-secret' })
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    message = error.message
  }
  t.match(message, /^configuration error: JWT_SECRET_PREVIOUS must be at least 32 characters, like JWT_SECRET \(got 16 characters\)$/)
  t.notMatch(message, /short-old-secret/)
})
