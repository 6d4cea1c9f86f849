import t from 'tap'
import fc from 'fast-check'
import pg from 'pg'
import { ErrorCode } from '@pc/contracts'
import { ROLES, signToken } from '@pc/platform'
import { testStack } from './support/stack.js'
import { operationsOf, requestsFor, type FuzzRequest, type OpenApiDocument } from './support/fuzz/requests.js'

/**
 * Fuzzing from the route table (issue 17): for every operation of the served OpenAPI document, requests generated
 * from its own schemas and then broken (see `support/fuzz/requests.ts`). Whatever is sent: no 5xx; every error is
 * problem+json with a stable code and its own status; a refused request appends nothing; the server still answers.
 *
 * Seeded and reproducible: `FUZZ_SEED` (default 20261208) and `FUZZ_RUNS` per operation (default 12 in the suite);
 * `pnpm fuzz --runs=N [--seed=S]` runs more. A failure prints the seed, the operation and the request.
 */
const seed = Number(process.env.FUZZ_SEED ?? 20261208)
const runs = Number(process.env.FUZZ_RUNS ?? 12)

// Rate limits off: thousands of requests from one caller are the point here (the limits have their own tests). No
// projector runs: a valid `waitFor` ahead of the read models answers (stale) after 50 ms rather than 5 s.
const { app, url, secret } = await testStack(t, 'fuzz', {
  routesOnly: true,
  env: { RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0' },
  query: { waitForTimeoutMs: 50 },
})
const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApiDocument
const db = new pg.Pool({ connectionString: url, max: 2 })
t.teardown(() => db.end())
const eventCount = async () => Number((await db.query<{ n: string }>('select count(*) as n from events')).rows[0]!.n)

// Every role at once, so role gates let the request through to validation and the rules; and one resident.
const everyone = await signToken(secret, { sub: 'fuzzer', roles: [...ROLES], units: ['B1-101'] })
const send = (request: FuzzRequest, token = everyone) =>
  app.inject({
    method: request.method,
    url: request.url,
    headers: { ...request.headers, authorization: `Bearer ${token}` },
    ...(request.payload !== undefined && { payload: request.payload }),
  })

// Things that exist, so valid requests get past 404 to the rules.
const reported = await app.inject({
  method: 'POST',
  url: '/v1/cases',
  headers: { authorization: `Bearer ${everyone}`, 'content-type': 'application/json' },
  payload: JSON.stringify({ kind: 'repair', category: 'lift', title: 'Lift', description: 'Stuck', channel: 'app', location: { building: 'B1', unit: '101' } }),
})
const drafted = await app.inject({
  method: 'POST',
  url: '/v1/disclosures',
  headers: { authorization: `Bearer ${everyone}`, 'content-type': 'application/json' },
  payload: JSON.stringify({ kind: 'notice', title: 'Water off', body: 'Tuesday 9-12' }),
})
const ids = [reported.json().id as string, drafted.json().id as string]
t.equal(reported.statusCode, 201)
t.equal(drafted.statusCode, 201)

const codes = new Set(Object.keys(ErrorCode))
const operations = operationsOf(document, '/v1/')
t.comment(`fuzz: seed ${seed}, ${runs} requests per operation, ${operations.length} operations`)

for (const operation of operations) {
  t.test(`${operation.method} ${operation.path} (${operation.operationId})`, async (t) => {
    const statuses = new Map<number, number>()
    const result = await fc.check(
      fc.asyncProperty(requestsFor(operation, document, ids), async (request) => {
        const before = await eventCount()
        const res = await send(request)
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
        if (res.statusCode >= 500) throw new Error(`answered ${res.statusCode}: ${res.body.slice(0, 300)}`)
        if (res.statusCode >= 400) {
          if (!String(res.headers['content-type']).startsWith('application/problem+json')) throw new Error(`a ${res.statusCode} that is not problem+json`)
          const problem = res.json() as { code?: string; status?: number }
          if (!codes.has(problem.code ?? '')) throw new Error(`unknown code ${problem.code}`)
          if (problem.status !== res.statusCode) throw new Error(`status ${problem.status} in a ${res.statusCode} answer`)
          const after = await eventCount()
          if (after !== before) throw new Error(`refused with ${res.statusCode} (${problem.code}), yet ${after - before} event(s) appended`)
        }
      }),
      { seed, numRuns: runs, endOnFailure: true },
    )
    if (result.failed) {
      const [request] = (result.counterexample ?? []) as [FuzzRequest?]
      t.fail(`seed ${seed}: ${String((result as { errorInstance?: unknown }).errorInstance ?? 'failed')}`, { request: request && { ...request, payload: request.payload?.slice(0, 500) } })
    } else {
      t.pass(`${result.numRuns} requests, no 5xx, every error problem+json with its code, nothing appended when refused`)
    }
    t.comment(`statuses: ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ')}`)
  })
}

t.test('the server still answers', async (t) => {
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 200)
  // From the event store (no projector runs here): the case reported before the fuzzing is still there.
  const again = await app.inject({ method: 'GET', url: `/v1/cases/${ids[0]}/history?revision=0`, headers: { authorization: `Bearer ${everyone}` } })
  t.equal(again.statusCode, 200, 'and reads what was written before the fuzzing')
})
