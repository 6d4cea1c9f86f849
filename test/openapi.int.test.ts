import t from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import SwaggerParser from '@apidevtools/swagger-parser'
import { createPropertyCasesClient, type operations, type Problem } from '@pc/client'
import { schemaSource } from '@pc/client/generate'
import { signToken } from '@pc/platform'
import { injectFetch } from './support/inject-fetch.js'
import { testStack } from './support/stack.js'

// The document as `pnpm start` serves it, from the whole stack on PostgreSQL.
const { app, env } = await testStack(t, 'openapi')
const served = await app.inject({ method: 'GET', url: '/docs/json' })
const live = served.json() as {
  paths: Record<string, Record<string, { operationId?: string; summary?: string; description?: string; tags?: string[]; security?: unknown[]; responses: Record<string, { $ref?: string; headers?: Record<string, { $ref?: string }> }> }>>
  tags: Array<{ name: string; description: string }>
  components: { responses: Record<string, { content: Record<string, unknown> }>; schemas: Record<string, unknown> }
}
const root = join(import.meta.dirname, '..')

t.test('the served document is valid OpenAPI (swagger-parser dereferences every $ref)', async (t) => {
  t.equal(served.statusCode, 200)
  const api = await SwaggerParser.validate(structuredClone(live) as never)
  t.equal((api as { openapi: string }).openapi, '3.1.0')
  t.ok(live.components.schemas.Problem, 'one Problem schema, in components')
})

t.test('packages/client holds the served document and the types it generates (else: pnpm client:generate)', async (t) => {
  const checkedIn = JSON.parse(await readFile(join(root, 'packages/client/openapi.json'), 'utf8')) as unknown
  t.same(checkedIn, live, 'packages/client/openapi.json is the served document: run `pnpm client:generate`')
  const types = await readFile(join(root, 'packages/client/src/schema.ts'), 'utf8')
  t.equal(types, await schemaSource(live), 'packages/client/src/schema.ts is generated from it: run `pnpm client:generate`')
})

t.test('every operation: a unique operationId, a summary, a description, a described tag, documented errors', async (t) => {
  const operations = Object.entries(live.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })))
  t.ok(operations.length >= 59, `${operations.length} operations`)
  const ids = operations.map((o) => o.op.operationId)
  t.equal(new Set(ids).size, ids.length, 'operationIds are unique')
  const tags = new Set(live.tags.map((tag) => tag.name))
  for (const { path, method, op } of operations) {
    const name = `${method.toUpperCase()} ${path}`
    t.match(op.operationId, /^[a-z][A-Za-z]+$/, `${name}: operationId`)
    t.ok(op.summary && op.description, `${name}: summary and description`)
    t.ok(op.tags?.every((tag) => tags.has(tag)), `${name}: its tags are described`)
    const statuses = Object.keys(op.responses)
    if (path.startsWith('/v1/')) {
      for (const status of ['400', '401', '429', '503']) t.ok(statuses.includes(status), `${name}: documents ${status}`)
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        const ref = op.responses[status]!.$ref!
        t.equal(ref, `#/components/responses/Problem${status}`, `${name} ${status}: the shared problem response`)
      }
      const ok = op.responses[method === 'post' ? statuses.find((s) => s.startsWith('2'))! : '200']!
      const headers = Object.keys(ok.headers ?? {})
      t.ok(headers.includes('X-Request-Id') && headers.includes('RateLimit-Remaining'), `${name}: request id and rate limit headers`)
      if (method === 'post') t.ok(headers.includes('ETag') && statuses.includes('409'), `${name}: ETag, 409`)
      else t.ok(headers.includes('X-Projection-Position') && headers.includes('X-Projection-Stale'), `${name}: projection headers`)
    } else {
      t.same(op.security, [], `${name}: no token needed`)
    }
  }
  for (const [name, response] of Object.entries(live.components.responses)) {
    t.same(Object.keys(response.content), ['application/problem+json'], `${name}: documented as application/problem+json`)
  }
})

t.test('the typed client against the served API: a problem of the documented status and type, ETag, an absent body', async (t) => {
  const secret = env.JWT_SECRET
  const client = (token: string) => createPropertyCasesClient({ baseUrl: 'http://stack.test', token, fetch: injectFetch(app) })
  const resident = client(await signToken(secret, { sub: 'resident-openapi', roles: ['resident'], units: ['B1-101'] }))
  const staff = client(await signToken(secret, { sub: 'staff-openapi', roles: ['staff'] }))

  const missing = await staff.GET('/v1/cases/{id}', { params: { path: { id: '00000000-0000-4000-8000-000000000000' } } })
  // The error is typed from the document: a query's errors are Problems (were `never` before the document said so).
  type IsNever<T> = [T] extends [never] ? true : false
  const errorIsTyped: IsNever<NonNullable<typeof missing.error>> = false
  t.equal(errorIsTyped, false)
  const problem: Problem | undefined = missing.error
  t.equal(missing.response.status, 404)
  t.equal(missing.response.headers.get('content-type'), 'application/problem+json; charset=utf-8')
  t.match(problem, { status: 404, code: 'NOT_FOUND', type: 'urn:property-cases:problem:not-found' })

  const reported = await resident.POST('/v1/cases', {
    body: { kind: 'repair', category: 'lift', title: 'Lift stuck', description: 'Stuck at floor 3', channel: 'app', location: { building: 'B1', unit: '101' } },
  })
  t.equal(reported.response.status, 201)
  const id = reported.data!.id
  t.equal(reported.response.headers.get('etag'), '"0"')
  // `acknowledge` has only optional fields: no body at all is `{}`.
  const acknowledged = await staff.POST('/v1/cases/{id}/acknowledge', { params: { path: { id } } })
  t.equal(acknowledged.response.status, 200, 'acknowledged without a body')
  t.equal(acknowledged.data?.revision, '1')

  const read = await staff.GET('/v1/cases/{id}', { params: { path: { id }, query: { waitFor: acknowledged.data!.position } } })
  // `ETag` and `X-Projection-Stale` are typed headers of the operation.
  const etag: operations['getCase']['responses'][200]['headers']['ETag'] = read.response.headers.get('etag') ?? ''
  const stale: operations['getCase']['responses'][200]['headers']['X-Projection-Stale'] = undefined
  t.equal(etag, `"${read.data!.revision}"`, 'GET /v1/cases/:id sends its revision as ETag')
  t.equal(read.response.headers.get('x-projection-stale'), stale ?? null, 'caught up')

  const stalePin = await staff.POST('/v1/cases/{id}/assign', {
    params: { path: { id }, header: { 'if-match': '"0"' } },
    body: { assigneeId: 'tech-1' },
  })
  t.equal(stalePin.response.status, 409)
  t.equal(stalePin.error?.code, 'WRONG_EXPECTED_REVISION', '409 narrows to its one code')
})
