import t from 'tap'
import { createHmac, randomUUID } from 'node:crypto'
import { ROLES, signToken, type Role } from '@pc/platform'
import { testStack } from './support/stack.js'
import { MATRIX, type Expected, type Relation } from './authorization/matrix.js'

/**
 * The authorization matrix (`authorization/matrix.ts`) sent cell by cell with real tokens against the stack as
 * `start` builds it: every operation of the served document × every role (admitted, or 403 before validation),
 * the relation cells (own or another's case, assigned or not, draft or published), and every kind of bad token.
 */
const { app, secret } = await testStack(t, 'authorization', { env: { RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0' } })

type Doc = { paths: Record<string, Record<string, { operationId: string }>> }
const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as Doc
const operations = Object.entries(document.paths)
  .filter(([path]) => path.startsWith('/v1/'))
  .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase() as 'GET' | 'POST', id: op.operationId })))

const token = (sub: string, roles: Role[], units?: string[]) => signToken(secret, { sub, roles, ...(units && { units }) })
const send = async (method: 'GET' | 'POST', url: string, bearer: string | undefined, body?: unknown) => {
  const res = await app.inject({
    method,
    url,
    headers: { ...(bearer !== undefined && { authorization: `Bearer ${bearer}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  })
  return { status: res.statusCode, body: res.body === '' ? undefined : (res.json() as Record<string, unknown>) }
}

// The things the relation cells are about, made through the API as their owners would.
const residentOwn = await token('resident-own', ['resident'], ['B1-101'])
const residentOther = await token('resident-other', ['resident'], ['B2-202'])
const technicianAssigned = await token('tech-assigned', ['technician'])
const technicianOther = await token('tech-other', ['technician'])
const manager = await token('manager-1', ['manager'])
const staff = await token('staff-1', ['staff'])
const reported = await send('POST', '/v1/cases', residentOwn, {
  kind: 'repair', category: 'plumbing', title: 'Tap drips', description: 'Kitchen tap drips all night', channel: 'app', location: { building: 'B1', unit: '101' },
})
const caseId = reported.body!.id as string
await send('POST', `/v1/cases/${caseId}/acknowledge`, staff)
const assigned = await send('POST', `/v1/cases/${caseId}/assign`, staff, { assigneeId: 'tech-assigned' })
const draft = await send('POST', '/v1/disclosures', manager, { kind: 'notice', title: 'Draft notice', body: 'Not yet' })
const published = await send('POST', '/v1/disclosures', manager, { kind: 'notice', title: 'Water off', body: 'Tuesday 9-12' })
const publication = await send('POST', `/v1/disclosures/${published.body!.id}/publish`, manager, {})
// A dispute in mediation: the reporting resident is a party, the resident next door is not.
const dispute = await send('POST', '/v1/cases', staff, {
  kind: 'dispute', category: 'noise', title: 'Music at night', description: 'Loud music after 23:00', channel: 'hotline',
  location: { building: 'B1', unit: '101' }, reporterId: 'resident-own',
})
const disputeId = dispute.body!.id as string
await send('POST', `/v1/cases/${disputeId}/assign`, staff, { assigneeId: 'staff-1', team: 'community' })
const mediation = await send('POST', `/v1/cases/${disputeId}/mediation`, manager, {
  mediatorId: 'mediator-1',
  parties: [{ partyId: 'resident-own', role: 'complainant' }, { partyId: 'resident-upstairs', role: 'respondent' }],
  rightsNoticeGiven: true,
})
const waitFor = [assigned, draft, publication, mediation].map((a) => BigInt(String(a.body!.position))).reduce((a, b) => (a > b ? a : b)).toString()
t.same([reported.status, assigned.status, draft.status, publication.status, dispute.status, mediation.status], [201, 200, 201, 200, 201, 200], 'fixtures made')

/** Every operation has its row, and every row its operation. */
t.test('every operation of the OpenAPI document has a row in the matrix', async (t) => {
  for (const op of operations) t.ok(MATRIX[op.id], `${op.id} (${op.method} ${op.path}) has a row`)
  const known = new Set(operations.map((op) => op.id))
  for (const id of Object.keys(MATRIX)) t.ok(known.has(id), `row ${id} names an operation that exists`)
})

const fill = (path: string, values: Record<string, string>) => path.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? randomUUID())

t.test('the role gate: a role the row does not admit gets 403 before its request is validated; one it admits gets past', async (t) => {
  const tokens = Object.fromEntries(await Promise.all(ROLES.map(async (role) => [role, await token(`gate-${role}`, [role], ['B9-909'])] as const)))
  let cells = 0
  for (const op of operations) {
    const row = MATRIX[op.id]
    if (!row) continue
    // Nothing here exists and no body is valid: an admitted role gets 400 or 404, never 401 or 403.
    const url = fill(op.path, { v: '1', subjectId: 'nobody' })
    for (const role of ROLES) {
      const admitted = row.roles === 'any' || row.roles.includes(role)
      const { status } = await send(op.method, url, tokens[role], op.method === 'POST' ? {} : undefined)
      cells++
      if (admitted) t.ok(status !== 401 && status !== 403, `${op.id} as ${role}: admitted (${status})`)
      else t.equal(status, 403, `${op.id} as ${role}: 403`)
    }
  }
  t.comment(`${cells} role cells`)
})

t.test('the relation cells: own or another resident\'s case, assigned or not, a draft or a published disclosure, party or not', async (t) => {
  const as: Record<Relation, string> = {
    'resident:own': residentOwn,
    'resident:other': residentOther,
    'technician:assigned': technicianAssigned,
    'technician:unassigned': technicianOther,
    'resident:draft': residentOwn,
    'resident:published': residentOwn,
    'resident:party': residentOwn,
    'resident:not-party': residentOther,
  }
  const disclosureOf = (relation: Relation) => String((relation === 'resident:draft' ? draft : published).body!.id)
  // A valid body for each command a relation cell sends: only access may decide the answer.
  const bodies: Record<string, unknown> = {
    addCaseNote: { body: 'Still dripping', visibility: 'public' },
    resolveCase: { resolution: 'Washer replaced' },
    recordCaseFollowUp: { rating: 4, method: 'phone' },
    reopenCase: { reason: 'Dripping again' },
    withdrawCase: { reason: 'Fixed it myself' },
    commentOnDisclosure: { body: 'Which buildings?' },
    objectToDisclosure: { reason: 'The dates are wrong' },
    // Each resident declines for themselves.
    recordMediationRefusal: { partyId: 'resident-own', reason: 'I prefer court' },
  }
  const partyOf: Partial<Record<Relation, string>> = { 'resident:not-party': 'resident-other' }
  let cells = 0
  for (const op of operations) {
    for (const [relation, expected] of Object.entries(MATRIX[op.id]?.relations ?? {}) as Array<[Relation, Expected]>) {
      const id =
        relation === 'resident:draft' || relation === 'resident:published' ? disclosureOf(relation)
        : relation === 'resident:party' || relation === 'resident:not-party' ? disputeId
        : caseId
      const url = `${fill(op.path, { id, v: '1' })}${op.method === 'GET' ? `?waitFor=${waitFor}` : ''}`
      const own = bodies[op.id] as Record<string, unknown> | undefined
      const body = own && 'partyId' in own && partyOf[relation] ? { ...own, partyId: partyOf[relation] } : own
      const { status, body: answer } = await send(op.method, url, as[relation], op.method === 'POST' ? body : undefined)
      cells++
      if (expected === 'ok') t.ok(![400, 401, 403, 404].includes(status), `${op.id}, ${relation}: allowed (${status} ${String(answer?.code ?? '')})`)
      else t.equal(status, expected, `${op.id}, ${relation}: ${expected}`)
    }
  }
  t.ok(cells >= 20, `${cells} relation cells`)
})

/** An HS256 token written by hand, so the kinds of bad token do not depend on the code under test. */
function handToken(header: object, payload: object, key = secret): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const unsigned = `${part(header)}.${part(payload)}`
  return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`
}

t.test('every kind of bad token is 401 UNAUTHENTICATED, on a query and on a command', async (t) => {
  const now = Math.floor(Date.now() / 1000)
  const hs = { alg: 'HS256', typ: 'JWT' }
  const good = { sub: 'staff-1', roles: ['staff'], iat: now, exp: now + 3600 }
  const kinds: Record<string, string | undefined> = {
    'no token': undefined,
    'expired': handToken(hs, { ...good, iat: now - 7200, exp: now - 3600 }),
    'no exp': handToken(hs, { sub: 'staff-1', roles: ['staff'], iat: now }),
    'wrong secret': handToken(hs, good, 'another-secret-of-the-same-length-xxxxxxxxxxxxxxx'),
    'alg none': `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(good)).toString('base64url')}.`,
    'unknown role': handToken(hs, { ...good, roles: ['superuser'] }),
    'roles as a string': handToken(hs, { ...good, roles: 'staff' }),
    'no sub': handToken(hs, { roles: ['staff'], iat: now, exp: now + 3600 }),
    'not a JWT': 'not-a-token',
  }
  t.equal((await send('GET', '/v1/cases', handToken(hs, good))).status, 200, 'the hand-written token itself is good')
  for (const [kind, bearer] of Object.entries(kinds)) {
    for (const [method, url, body] of [['GET', '/v1/cases', undefined], ['POST', `/v1/cases/${caseId}/assign`, { assigneeId: 'x' }]] as const) {
      const res = await send(method, url, bearer, body)
      t.equal(res.status, 401, `${kind}: ${method} ${url.replace(caseId, ':id')} → 401`)
      t.equal(res.body?.code, 'UNAUTHENTICATED')
    }
  }
})
