import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { testDatabase } from '@pc/postgres/testing'
import t, { type Test } from 'tap'
import { createHttpServer, loadConfig, openRuntime, requireAuthentication, signToken } from '../src/index.js'

// Issue 16 item 6: helmet's headers and a CSP on every answer, `frame-ancestors 'none'` on the docs page,
// `Cache-Control: no-store` on every /v1 answer, CORS off unless CORS_ORIGINS lists origins.

const SECRET = 'security-headers-secret-'.padEnd(48, 'x')

async function server(t: Test, env: Record<string, string> = {}) {
  const db = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-headers-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({ DATABASE_URL: db.url, DATA_DIR: dataDir, JWT_SECRET: SECRET, LOG_LEVEL: 'silent', ...env })
  const runtime = await openRuntime(config, { poolMax: 2 })
  t.teardown(() => runtime.close())
  const app = await createHttpServer(config, runtime)
  // A protected route like every /v1 route, answering something personal.
  await app.register(
    async (v1) => {
      requireAuthentication(v1)
      v1.get('/cases/mine', async () => ({ reporter: { name: '王女士' } }))
      v1.post('/cases/mine', async () => ({ ok: true }))
    },
    { prefix: '/v1' },
  )
  t.teardown(() => app.close())
  await app.ready()
  return { app, token: await signToken(SECRET, { sub: 'resident-1', roles: ['resident'] }) }
}

t.test('every answer carries helmet headers and a CSP that allows nothing', async (t) => {
  const { app, token } = await server(t)
  for (const url of ['/v1/cases/mine', '/health/live', '/v1/nowhere']) {
    const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${url}: nosniff`)
    t.match(res.headers['content-security-policy'], /default-src 'none'/, `${url}: default-src 'none'`)
    t.match(res.headers['content-security-policy'], /frame-ancestors 'none'/)
    t.equal(res.headers['x-frame-options'], 'SAMEORIGIN')
    t.equal(res.headers['referrer-policy'], 'no-referrer')
  }
})

t.test('every /v1 answer, errors included, is Cache-Control: no-store', async (t) => {
  const { app, token } = await server(t)
  const ok = await app.inject({ method: 'GET', url: '/v1/cases/mine', headers: { authorization: `Bearer ${token}` } })
  t.equal(ok.statusCode, 200)
  t.equal(ok.headers['cache-control'], 'no-store', 'a personal answer')
  const unauthenticated = await app.inject({ method: 'GET', url: '/v1/cases/mine?x=1' })
  t.equal(unauthenticated.statusCode, 401)
  t.equal(unauthenticated.headers['cache-control'], 'no-store', 'a problem answer')
  const missing = await app.inject({ method: 'GET', url: '/v1/nowhere', headers: { authorization: `Bearer ${token}` } })
  t.equal(missing.statusCode, 404)
  t.equal(missing.headers['cache-control'], 'no-store', 'a 404 under /v1')
  const health = await app.inject({ method: 'GET', url: '/health/live' })
  t.not(health.headers['cache-control'], 'no-store', 'outside /v1 nothing is personal')
})

t.test('the docs page has its own CSP: its scripts by hash, framed by no one', async (t) => {
  const { app } = await server(t)
  const page = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /text\/html/)
  const csp = String(page.headers['content-security-policy'])
  t.match(csp, /frame-ancestors 'none'/)
  t.notMatch(csp, /frame-ancestors 'self'/)
  t.match(csp, /script-src 'self'/, 'the UI may run its own scripts')
  t.notMatch(csp, /upgrade-insecure-requests/, 'served over HTTP on loopback, its requests stay HTTP')
  t.equal(page.headers['x-content-type-options'], 'nosniff')
  const initializer = await app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' })
  t.equal(initializer.statusCode, 200)
  t.match(initializer.headers['content-security-policy'], /frame-ancestors 'none'/)
})

t.test('CORS is off by default: no Access-Control header, a preflight is not answered', async (t) => {
  const { app, token } = await server(t)
  const res = await app.inject({
    method: 'GET',
    url: '/v1/cases/mine',
    headers: { authorization: `Bearer ${token}`, origin: 'https://evil.example' },
  })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['access-control-allow-origin'], undefined)
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/v1/cases/mine',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
  })
  t.equal(preflight.headers['access-control-allow-origin'], undefined)
  t.equal(preflight.statusCode, 404)
})

t.test('CORS_ORIGINS allows exactly the listed origins', async (t) => {
  const { app, token } = await server(t, { CORS_ORIGINS: 'https://portal.example.org,http://localhost:5173' })
  const allowed = await app.inject({
    method: 'GET',
    url: '/v1/cases/mine',
    headers: { authorization: `Bearer ${token}`, origin: 'https://portal.example.org' },
  })
  t.equal(allowed.headers['access-control-allow-origin'], 'https://portal.example.org')
  t.match(allowed.headers.vary, /Origin/)
  t.match(allowed.headers['access-control-expose-headers'], /ETag/)
  t.equal(allowed.headers['access-control-allow-credentials'], undefined, 'no cookies: the API takes Bearer tokens')

  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/v1/cases/mine',
    headers: {
      origin: 'http://localhost:5173',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type, idempotency-key',
    },
  })
  t.equal(preflight.statusCode, 204, 'a preflight needs no token')
  t.equal(preflight.headers['access-control-allow-origin'], 'http://localhost:5173')
  t.match(preflight.headers['access-control-allow-headers'], /Idempotency-Key/)
  t.match(preflight.headers['access-control-allow-methods'], /POST/)

  for (const origin of ['https://evil.example', 'https://portal.example.org.evil.example', 'http://portal.example.org']) {
    const refused = await app.inject({ method: 'GET', url: '/v1/cases/mine', headers: { authorization: `Bearer ${token}`, origin } })
    t.equal(refused.headers['access-control-allow-origin'], undefined, `${origin} is not allowed`)
  }
})
