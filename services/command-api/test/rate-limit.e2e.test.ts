import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, openRuntime, signToken, type HttpServer } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'
import t, { type Test } from 'tap'
import { buildServer } from '../src/server.js'
import { SECRET, callers, reportBody } from './support/command-api.js'

/** Rate limits at the shared edge: per user, per address without a token, failed authentications, and what is exempt. */

const PROBLEM = 'application/problem+json; charset=utf-8'

async function setup(t: Test, env: Record<string, string>): Promise<HttpServer> {
  const db = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-rate-limit-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({ DATABASE_URL: db.url, DATA_DIR: dataDir, JWT_SECRET: SECRET, LOG_LEVEL: 'silent', ...env })
  const runtime = await openRuntime(config)
  t.teardown(() => runtime.close())
  const app = await buildServer(config, runtime)
  t.teardown(() => app.close())
  await app.ready()
  return app
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

function report(app: HttpServer, token: string, reporterId: string) {
  return app.inject({ method: 'POST', url: '/v1/cases', headers: bearer(token), payload: reportBody({ reporterId }) })
}

t.test('one user flooding reaches 429 RATE_LIMITED; another user with their own token keeps commanding', async (t) => {
  const app = await setup(t, { RATE_LIMIT_PER_MINUTE: '5' })
  const flooder = await signToken(SECRET, { sub: 'staff-flood', roles: ['staff'] })
  const other = await signToken(SECRET, { sub: 'staff-calm', roles: ['staff'] })

  const remaining: string[] = []
  let limited
  let firstCase = ''
  for (let i = 0; i < 20 && limited === undefined; i++) {
    const res = await report(app, flooder, callers.resident.sub)
    if (res.statusCode === 429) limited = res
    else {
      t.equal(res.statusCode, 201, `request ${i + 1} is served`)
      firstCase ||= (res.json() as { id: string }).id
      remaining.push(String(res.headers['ratelimit-remaining']))
      t.equal(res.headers['ratelimit-limit'], '5')
    }
  }
  t.same(remaining, ['4', '3', '2', '1', '0'], 'five served, each answer saying how many are left')
  if (limited === undefined) throw new Error('the flood was never limited')
  t.equal(limited.headers['content-type'], PROBLEM)
  t.match(limited.json(), { status: 429, code: 'RATE_LIMITED', title: 'Too many requests', instance: '/v1/cases' })
  const retryAfter = Number(limited.headers['retry-after'])
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After is whole seconds within the window (${retryAfter})`)
  t.equal(limited.headers['ratelimit-limit'], '5')
  t.equal(limited.headers['ratelimit-remaining'], '0')
  t.equal(limited.headers['ratelimit-reset'], String(retryAfter))
  const note = await app.inject({
    method: 'POST',
    url: `/v1/cases/${firstCase}/note`,
    headers: bearer(flooder),
    payload: { body: 'still there?', visibility: 'internal' },
  })
  t.equal(note.statusCode, 429, "the limit is the user's, across routes")

  // The same address, the same route: the other user's budget is untouched.
  const calm = await report(app, other, callers.resident.sub)
  t.equal(calm.statusCode, 201, "another user's command is served")
  t.equal(calm.headers['ratelimit-remaining'], '4', 'counted on their own budget')
  const assign = await app.inject({
    method: 'POST',
    url: `/v1/cases/${firstCase}/assign`,
    headers: bearer(other),
    payload: { assigneeId: 'tech-1' },
  })
  t.equal(assign.statusCode, 200, 'and may act on what the flooder reported')
})

t.test('without a token the address is counted; /health/* and /metrics are never limited', async (t) => {
  const app = await setup(t, { RATE_LIMIT_PER_MINUTE: '2' })
  const docs = (remoteAddress: string) => app.inject({ method: 'GET', url: '/docs/json', remoteAddress })
  t.equal((await docs('10.0.0.1')).statusCode, 200)
  t.equal((await docs('10.0.0.1')).statusCode, 200)
  const third = await docs('10.0.0.1')
  t.equal(third.statusCode, 429, 'the third public request from one address in the window')
  t.equal(third.json().code, 'RATE_LIMITED')
  t.equal((await docs('10.0.0.2')).statusCode, 200, 'another address has its own count')

  for (let i = 0; i < 6; i++) {
    for (const url of ['/health/live', '/health/ready', '/metrics']) {
      const res = await app.inject({ method: 'GET', url, remoteAddress: '10.0.0.1' })
      t.equal(res.statusCode, 200, `${url} #${i + 1}`)
      t.equal(res.headers['ratelimit-limit'], undefined, `${url} carries no RateLimit headers`)
    }
  }
  const spec = (await docs('10.0.0.3')).json() as { paths: Record<string, { post?: { responses: Record<string, unknown> } }> }
  t.ok(spec.paths['/v1/cases']?.post?.responses['429'], 'the OpenAPI document lists the 429 of a command')
})

t.test('failed authentications: past the stricter budget an address answers 429 before any new token is checked', async (t) => {
  const app = await setup(t, { RATE_LIMIT_PER_MINUTE: '1000', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3' })
  const whoami = (remoteAddress: string, authorization?: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/cases',
      remoteAddress,
      headers: authorization === undefined ? {} : { authorization },
      payload: reportBody({ reporterId: callers.resident.sub }),
    })
  const signedIn = await signToken(SECRET, { sub: 'staff-signed-in', roles: ['staff'] })
  t.equal((await whoami('10.0.0.7', `Bearer ${signedIn}`)).statusCode, 201, 'a colleague behind the same address signed in before')

  const forged = await signToken('another-secret-that-is-long-enough-too', { sub: 'x', roles: ['admin'] })
  for (const authorization of [`Bearer ${forged}`, 'Bearer not-a-jwt', undefined]) {
    t.equal((await whoami('10.0.0.7', authorization)).statusCode, 401, `401 for ${authorization ?? 'no token'}`)
  }
  const held = await whoami('10.0.0.7', `Bearer ${forged}`)
  t.equal(held.statusCode, 429, 'the fourth failure in the window is refused')
  t.equal(held.headers['content-type'], PROBLEM)
  t.match(held.json(), { code: 'RATE_LIMITED', detail: /failed authentications/ })
  const retryAfter = Number(held.headers['retry-after'])
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`)
  t.equal(held.headers['ratelimit-limit'], '3')
  t.equal(held.headers['ratelimit-remaining'], '0')

  const fresh = await signToken(SECRET, { sub: 'staff-new', roles: ['staff'] })
  t.equal((await whoami('10.0.0.7', `Bearer ${fresh}`)).statusCode, 429, 'a token never seen is not even checked (no guessing)')
  t.equal((await whoami('10.0.0.7')).statusCode, 429, 'nor a request without one')
  t.equal((await whoami('10.0.0.7', `Bearer ${signedIn}`)).statusCode, 201, 'the token verified before still works')
  t.equal((await whoami('10.0.0.8', `Bearer ${forged}`)).statusCode, 401, 'another address has its own budget')
  t.equal((await whoami('10.0.0.8', `Bearer ${fresh}`)).statusCode, 201)
})

t.test('0 turns both limits off', async (t) => {
  const app = await setup(t, { RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0' })
  const token = await signToken(SECRET, { sub: 'staff-1', roles: ['staff'] })
  for (let i = 0; i < 15; i++) {
    const res = await report(app, token, callers.resident.sub)
    t.equal(res.statusCode, 201)
    t.equal(res.headers['ratelimit-limit'], undefined, 'no RateLimit headers when off')
    t.equal((await report(app, 'nope', callers.resident.sub)).statusCode, 401)
  }
})
