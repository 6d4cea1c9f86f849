import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ForbiddenError, NotFoundError, RuleViolationError } from '@pc/domain'
import { WrongExpectedRevisionError } from '@pc/event-store'
import {
  IdempotencyKeyReusedError,
  loadConfig,
  openRuntime,
  requireAuthentication,
  requireRoles,
  signToken,
} from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import pg from 'pg'
import t, { type Test } from 'tap'
import { z } from 'zod'
import { buildServer } from '../src/server.js'

const SECRET = 'test-secret-that-is-long-enough-for-hs256'
const PROBLEM = 'application/problem+json; charset=utf-8'

async function setup(t: Test) {
  const db = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-command-api-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({ DATABASE_URL: db.url, DATA_DIR: dataDir, JWT_SECRET: SECRET, LOG_LEVEL: 'silent' })
  const runtime = await openRuntime(config)
  // Teardowns run last-registered first: the server closes before the runtime, as in production.
  t.teardown(() => runtime.close())
  const app = await buildServer(config, runtime)
  await app.register(dummyRoutes, { prefix: '/v1' })
  t.teardown(() => app.close())
  return { app, runtime, db }
}

/** Routes that exist only in this test, to exercise the edge: auth, validation, body limit, error mapping. */
const dummyRoutes: FastifyPluginAsyncZod = async (app) => {
  requireAuthentication(app)
  app.get('/whoami', { schema: { response: { 200: z.object({ id: z.string(), roles: z.array(z.string()) }) } } }, async (request) => ({
    id: request.actor?.id ?? '',
    roles: [...(request.actor?.roles ?? [])],
  }))
  app.post(
    '/echo',
    {
      preHandler: requireRoles('staff', 'manager'),
      schema: {
        body: z.object({ title: z.string().min(1), location: z.object({ building: z.string() }), note: z.string().optional() }),
        response: { 200: z.object({ title: z.string() }) },
      },
    },
    async (request) => ({ title: request.body.title }),
  )
  const failures: Record<string, () => Error> = {
    rule: () => new RuleViolationError('INVALID_TRANSITION', 'a closed case cannot be resolved', 'status'),
    forbidden: () => new ForbiddenError('not yours'),
    'not-found': () => new NotFoundError('no such case'),
    conflict: () => new WrongExpectedRevisionError('case-1', 3n, 5n),
    idempotency: () => new IdempotencyKeyReusedError('k-1'),
    unavailable: () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    bug: () => new TypeError("Cannot read properties of undefined (reading 'secretInternalField')"),
  }
  app.get('/fail/:kind', { schema: { params: z.object({ kind: z.string() }) } }, async (request) => {
    throw (failures[request.params.kind] ?? failures.bug!)()
  })
}

const staffToken = () => signToken(SECRET, { sub: 'staff-1', roles: ['staff'] })

t.test('GET /health/live answers 200', async (t) => {
  const { app } = await setup(t)
  const res = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ok' })
})

t.test('GET /health/ready answers 200 when database and event store answer', async (t) => {
  const { app } = await setup(t)
  const res = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ready', checks: { database: 'up', eventStore: 'up' } })
})

t.test('GET /health/ready answers 503 naming the dependency that is down', async (t) => {
  const { app, db } = await setup(t)
  // Take the database away under the running server.
  const admin = new pg.Client({ connectionString: new URL('/postgres', db.url).toString() })
  await admin.connect()
  await admin.query(`drop database ${db.name} with (force)`)
  await admin.end()
  const res = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(res.statusCode, 503)
  t.same(res.json(), { status: 'unavailable', checks: { database: 'down', eventStore: 'down' } })
})

t.test('an unknown route answers 404 problem+json', async (t) => {
  const { app } = await setup(t)
  const res = await app.inject({ method: 'GET', url: '/v1/nothing-here?x=1' })
  t.equal(res.statusCode, 404)
  t.equal(res.headers['content-type'], PROBLEM)
  t.match(res.json(), { status: 404, code: 'NOT_FOUND', title: 'Not found', instance: '/v1/nothing-here' })
  t.match(res.json().type, /^urn:property-cases:problem:not-found$/)
})

t.test('the request id is taken from X-Request-Id or generated, and echoed', async (t) => {
  const { app } = await setup(t)
  const given = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'trace-42' } })
  t.equal(given.headers['x-request-id'], 'trace-42')
  const generated = await app.inject({ method: 'GET', url: '/health/live' })
  t.match(generated.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  const forged = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'a b\tc' } })
  t.not(forged.headers['x-request-id'], 'a b\tc', 'an id that is not a plain token is replaced')
})

t.test('GET /v1/whoami without a token answers 401 problem+json', async (t) => {
  const { app } = await setup(t)
  const res = await app.inject({ method: 'GET', url: '/v1/whoami' })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['content-type'], PROBLEM)
  t.match(res.headers['www-authenticate'], /^Bearer/)
  t.match(res.json(), { code: 'UNAUTHENTICATED', detail: /missing/ })
})

t.test('GET /v1/whoami with a bad, expired or foreign token answers 401', async (t) => {
  const { app } = await setup(t)
  const expired = await signToken(SECRET, { sub: 'u', roles: ['staff'], expiresIn: '-1m' })
  const foreign = await signToken('another-secret-that-is-long-enough-too', { sub: 'u', roles: ['staff'] })
  for (const [label, authorization, detail] of [
    ['garbage', 'Bearer not.a.jwt', /malformed/],
    ['expired', `Bearer ${expired}`, /expired/],
    ['foreign secret', `Bearer ${foreign}`, /signature/],
    ['basic auth', 'Basic dXNlcjpwYXNz', /not a Bearer/],
  ] as const) {
    const res = await app.inject({ method: 'GET', url: '/v1/whoami', headers: { authorization } })
    t.equal(res.statusCode, 401, label)
    t.match(res.json(), { code: 'UNAUTHENTICATED', detail }, label)
  }
})

t.test('GET /v1/whoami with a valid token sees the actor', async (t) => {
  const { app } = await setup(t)
  const token = await signToken(SECRET, { sub: 'resident-9', roles: ['resident'], units: ['3-2-501'] })
  const res = await app.inject({ method: 'GET', url: '/v1/whoami', headers: { authorization: `Bearer ${token}` } })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { id: 'resident-9', roles: ['resident'] })
})

t.test('POST /v1/echo with the wrong role answers 403', async (t) => {
  const { app } = await setup(t)
  const token = await signToken(SECRET, { sub: 'resident-9', roles: ['resident'] })
  const res = await app.inject({
    method: 'POST',
    url: '/v1/echo',
    headers: { authorization: `Bearer ${token}` },
    payload: { title: 'lift', location: { building: '3' } },
  })
  t.equal(res.statusCode, 403)
  t.match(res.json(), { code: 'FORBIDDEN', status: 403 })
})

t.test('POST /v1/echo with an invalid body answers 400 naming every failing field', async (t) => {
  const { app } = await setup(t)
  const res = await app.inject({
    method: 'POST',
    url: '/v1/echo',
    headers: { authorization: `Bearer ${await staffToken()}` },
    payload: { title: '', location: {}, note: 7 },
  })
  t.equal(res.statusCode, 400)
  t.equal(res.headers['content-type'], PROBLEM)
  const body = res.json()
  t.equal(body.code, 'VALIDATION_FAILED')
  t.same(body.errors.map((e: { path: string }) => e.path).sort(), ['location.building', 'note', 'title'])
  t.ok(body.errors.every((e: { message: string }) => e.message.length > 0))
})

t.test('POST /v1/echo with malformed JSON answers 400, another media type 415', async (t) => {
  const { app } = await setup(t)
  const authorization = `Bearer ${await staffToken()}`
  const badJson = await app.inject({
    method: 'POST',
    url: '/v1/echo',
    headers: { authorization, 'content-type': 'application/json' },
    payload: '{"title": ',
  })
  t.equal(badJson.statusCode, 400)
  t.match(badJson.json(), { code: 'VALIDATION_FAILED', errors: [{ path: 'body' }] })
  const text = await app.inject({
    method: 'POST',
    url: '/v1/echo',
    headers: { authorization, 'content-type': 'application/xml' },
    payload: '<title/>',
  })
  t.equal(text.statusCode, 415)
  t.match(text.json(), { code: 'UNSUPPORTED_MEDIA_TYPE', errors: [{ path: 'headers.content-type' }] })
})

t.test('POST /v1/echo with a 65 KiB body answers 413', async (t) => {
  const { app } = await setup(t)
  const res = await app.inject({
    method: 'POST',
    url: '/v1/echo',
    headers: { authorization: `Bearer ${await staffToken()}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ title: 'x'.repeat(65 * 1024), location: { building: '1' } }),
  })
  t.equal(res.statusCode, 413)
  t.equal(res.headers['content-type'], PROBLEM)
  t.match(res.json(), { code: 'PAYLOAD_TOO_LARGE', status: 413 })
})

t.test('POST /v1/echo with a valid body and role answers 200', async (t) => {
  const { app } = await setup(t)
  const res = await app.inject({
    method: 'POST',
    url: '/v1/echo',
    headers: { authorization: `Bearer ${await staffToken()}` },
    payload: { title: 'lift broken', location: { building: '3' } },
  })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { title: 'lift broken' })
})

t.test('GET /v1/fail/:kind maps each kind of error to its problem', async (t) => {
  const { app } = await setup(t)
  const authorization = `Bearer ${await staffToken()}`
  const expected = {
    rule: { status: 422, code: 'RULE_VIOLATED', rule: 'INVALID_TRANSITION', errors: [{ path: 'status' }] },
    forbidden: { status: 403, code: 'FORBIDDEN' },
    'not-found': { status: 404, code: 'NOT_FOUND', detail: 'no such case' },
    conflict: { status: 409, code: 'WRONG_EXPECTED_REVISION', detail: /expected revision 3.*5/ },
    idempotency: { status: 422, code: 'IDEMPOTENCY_KEY_REUSED' },
    unavailable: { status: 503, code: 'UNAVAILABLE' },
    bug: { status: 500, code: 'INTERNAL' },
  }
  for (const [kind, problem] of Object.entries(expected)) {
    const res = await app.inject({ method: 'GET', url: `/v1/fail/${kind}`, headers: { authorization } })
    t.equal(res.statusCode, problem.status, kind)
    t.equal(res.headers['content-type'], PROBLEM, kind)
    t.match(res.json(), problem, kind)
  }
  const bug = await app.inject({ method: 'GET', url: '/v1/fail/bug', headers: { authorization, 'x-request-id': 'r-500' } })
  t.notMatch(bug.body, /secretInternalField|TypeError|at /, 'a 500 reveals no internals')
  t.match(bug.json().detail, /r-500/, 'a 500 quotes the request id')
})

t.test('GET /metrics counts requests by route pattern', async (t) => {
  const { app } = await setup(t)
  await app.inject({ method: 'GET', url: '/health/live' })
  await app.inject({ method: 'GET', url: '/no/such/route' })
  const res = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  t.match(res.body, /http_requests_total\{method="GET",route="\/health\/live",status_code="200"\} 1\n/)
  t.match(res.body, /http_requests_total\{method="GET",route="<unmatched>",status_code="404"\} 1\n/)
  // prom-client writes `le` first; label order carries no meaning in the exposition format.
  t.match(res.body, /http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/health\/live",status_code="200"\} 1\n/)
  for (const name of ['process_uptime_seconds', 'process_resident_memory_bytes', 'nodejs_heap_used_bytes']) {
    t.match(res.body, new RegExp(`^# TYPE ${name} gauge\n(# .*\n)*${name} \\d`, 'm'), `${name} as before`)
  }
  t.match(res.body, /^process_cpu_user_seconds_total \d/m, 'the default process metrics come along')
  t.match(res.body, /^nodejs_eventloop_lag_seconds \d/m, 'and the Node.js ones')
})

t.test('GET /metrics: two servers in one process count their own requests only', async (t) => {
  const one = await setup(t)
  const two = await setup(t)
  await one.app.inject({ method: 'GET', url: '/health/live' })
  await one.app.inject({ method: 'GET', url: '/health/live' })
  await two.app.inject({ method: 'GET', url: '/health/live' })
  const series = /http_requests_total\{method="GET",route="\/health\/live",status_code="200"\} (\d+)\n/
  t.equal(series.exec((await one.app.inject({ method: 'GET', url: '/metrics' })).body)?.[1], '2')
  t.equal(series.exec((await two.app.inject({ method: 'GET', url: '/metrics' })).body)?.[1], '1')
})

t.test('GET /docs/json is an OpenAPI document of the routes with their schemas', async (t) => {
  const { app } = await setup(t)
  const res = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const doc = res.json()
  t.match(doc, { openapi: /^3\./, components: { securitySchemes: { bearerAuth: { scheme: 'bearer' } } } })
  t.ok(doc.paths['/health/ready'].get.responses['503'], 'responses are documented')
  t.same(doc.paths['/v1/echo'].post.security, [{ bearerAuth: [] }], 'routes under /v1 are marked as needing a token')
  t.same(doc.paths['/health/live'].get.security, [], 'health is public: it turns off the document-wide bearer security')
  t.same(doc.security, [{ bearerAuth: [] }], 'which every other route inherits')
  const ui = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(ui.statusCode, 200)
})
