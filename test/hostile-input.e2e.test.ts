import t, { type Test } from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { commandApp } from '@pc/command-api'
import { queryApp } from '@pc/query-api'
import { createHttpServer, createLogger, loadConfig, openRuntime, signToken } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'

// Issue 16 item 3: input that PostgreSQL or canonical JSON cannot take (a NUL, a lone surrogate, a position past
// bigint) and a body in another charset were answered 500. Each is a 400 (415 for the charset) naming the field,
// from the shared string and position schemas, on command and query routes alike, and nothing is logged as a
// failure.

const SECRET = 'hostile-input-secret-'.padEnd(48, 'x')
const { url } = await testDatabase(t)
const dataDir = await mkdtemp(join(tmpdir(), 'pc-hostile-input-'))
t.teardown(() => rm(dataDir, { recursive: true, force: true }))
const config = loadConfig({ DATABASE_URL: url, DATA_DIR: dataDir, JWT_SECRET: SECRET, LOG_LEVEL: 'info' })
const logs: string[] = []
const runtime = await openRuntime(config, { logger: createLogger(config, { destination: { write: (line: string) => logs.push(line) } }) })
t.teardown(() => runtime.close())
const app = await createHttpServer(config, runtime)
await app.register(commandApp, { db: runtime.db, store: runtime.eventStore, config, vault: runtime.vault })
await app.register(queryApp, { pool: runtime.pool, store: runtime.eventStore, config, vault: runtime.vault })
t.teardown(() => app.close())
await app.ready()

const boss = await signToken(SECRET, { sub: 'boss-1', roles: ['staff', 'manager'] })
const auditor = await signToken(SECRET, { sub: 'auditor-1', roles: ['auditor'] })

async function send(method: 'GET' | 'POST', path: string, options: { body?: unknown; token?: string; contentType?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${options.token ?? boss}` }
  if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json'
  // JSON.stringify writes a lone surrogate as the escape `\ud800`, as a hostile client would send it.
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body)
  return app.inject({ method, url: `/v1${path}`, headers, ...(payload !== undefined && { payload }) })
}

const report = {
  kind: 'repair',
  category: 'plumbing',
  title: 'Leak in the stairwell',
  description: 'Water on the 12th floor landing',
  channel: 'app',
  location: { building: '3', unit: '3-1201' },
}
const created = await send('POST', '/cases', { body: report })
t.equal(created.statusCode, 201, 'a well-formed report is taken')
const caseId = (created.json() as { id: string }).id

interface Refused {
  status: number
  code: string
  errors: Array<{ path: string; message: string }>
}

function assertRefused(t: Test, res: Awaited<ReturnType<typeof send>>, status: number, code: string, path: string) {
  t.equal(res.statusCode, status, `answers ${status}`)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  const body = res.json() as Refused
  t.equal(body.code, code)
  t.ok(body.errors?.some((e) => e.path === path), `names ${path}: ${JSON.stringify(body.errors)}`)
}

const cases: Array<{ name: string; method: 'GET' | 'POST'; path: string; body?: unknown; token?: string; field: string }> = [
  { name: 'a NUL in a report title', method: 'POST', path: '/cases', body: { ...report, title: 'Leak\u0000' }, field: 'title' },
  {
    name: 'a NUL one object down',
    method: 'POST',
    path: '/cases',
    body: { ...report, location: { building: '3\u0000' } },
    field: 'location.building',
  },
  { name: 'a NUL in a note', method: 'POST', path: `/cases/${caseId}/note`, body: { body: 'x\u0000y', visibility: 'public' }, field: 'body' },
  {
    name: 'a NUL in a disclosure draft',
    method: 'POST',
    path: '/disclosures',
    body: { kind: 'public_revenue', title: 'Water off\u0000', body: 'Tuesday', period: { from: '2026-03-01', to: '2026-03-31' } },
    field: 'title',
  },
  { name: 'a lone surrogate in a description', method: 'POST', path: '/cases', body: { ...report, description: 'a\ud800b' }, field: 'description' },
  {
    name: 'a lone low surrogate in a hold reason',
    method: 'POST',
    path: `/cases/${caseId}/hold`,
    body: { reason: '\udc00' },
    field: 'reason',
  },
  { name: 'a NUL in a query filter', method: 'GET', path: '/cases?category=%00', field: 'query.category' },
  { name: 'a NUL in an overdue filter', method: 'GET', path: '/sla/overdue?building=a%00b', field: 'query.building' },
  { name: 'waitFor past bigint on the queue', method: 'GET', path: '/cases?waitFor=9223372036854775808', field: 'query.waitFor' },
  { name: 'waitFor past bigint on one case', method: 'GET', path: `/cases/${caseId}?waitFor=9223372036854775808`, field: 'query.waitFor' },
  { name: 'waitFor past bigint on disclosures', method: 'GET', path: '/disclosures?waitFor=99999999999999999999', field: 'query.waitFor' },
  {
    name: 'a revision past bigint in history',
    method: 'GET',
    path: `/cases/${caseId}/history?revision=9223372036854775808`,
    field: 'query.revision',
  },
  {
    name: 'a from past bigint on the raw events',
    method: 'GET',
    path: `/cases/${caseId}/events?from=9223372036854775808`,
    token: auditor,
    field: 'query.from',
  },
]

for (const c of cases) {
  t.test(`${c.method} ${c.path.split('?')[0]}: ${c.name} → 400 naming ${c.field}`, async (t) => {
    const res = await send(c.method, c.path, { ...(c.body !== undefined && { body: c.body }), ...(c.token && { token: c.token }) })
    assertRefused(t, res, 400, 'VALIDATION_FAILED', c.field)
  })
}

t.test('the largest bigint is still a position', async (t) => {
  const res = await send('GET', `/cases/${caseId}/events?from=9223372036854775807`, { token: auditor })
  t.equal(res.statusCode, 200, res.body)
  t.same((res.json() as { events: unknown[] }).events, [])
})

t.test('POST /v1/cases in application/json; charset=utf-16 → 415 naming the Content-Type', async (t) => {
  for (const contentType of ['application/json; charset=utf-16', 'application/json;charset="UTF-16LE"', 'application/json; charset=latin1']) {
    const res = await send('POST', '/cases', { body: report, contentType })
    assertRefused(t, res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'headers.content-type')
  }
  for (const contentType of ['application/json; charset=utf-8', 'application/json; charset=UTF-8', 'application/json']) {
    const res = await send('POST', '/cases', { body: report, contentType })
    t.equal(res.statusCode, 201, `${contentType} is read`)
  }
})

t.test('none of it was a failure in the log', async (t) => {
  const failures = logs.filter((line) => /"level":"(error|warn)"/.test(line))
  t.same(failures, [], 'no error or warning was logged')
})
