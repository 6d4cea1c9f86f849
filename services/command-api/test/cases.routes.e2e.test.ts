import { CaseCommandRoutes, type CaseCommandRoute } from '@pc/contracts'
import { caseCommandRoles } from '@pc/domain'
import type { Runtime } from '@pc/platform'
import t from 'tap'
import { callers, post, reportBody, reportCase, setup, tokenOf, type Caller } from './support/command-api.js'

/**
 * `POST /v1/cases` and `POST /v1/cases/:id/<command>` (issue 3) through `inject`, one server and database for the
 * whole file. Every route gets the same checks from one table: success, validation failure (field named), wrong
 * role (403, and before the body is validated when no role of the caller could ever send it), another resident's
 * case (404, or 403 for a command no resident may send), stale `If-Match` (409), idempotent replay, and the key
 * reused with another request (422) — and none of the refused requests may append anything.
 */

const OTHER_CASE = '1c8b2a6d-3e5f-4d4c-8b9a-2f3e4d5c6b71'
const THIRD_CASE = '3eab4c8f-5a6b-4f6e-8dbc-4b5a6f7e8d93'
const PRIMARY_CASE = '2d9c3b7e-4f6a-4e5d-9cab-3a4f5e6d7c82'

type Step = [route: string, body: object, as?: Caller]

interface RouteCase {
  /** `report` for `POST /v1/cases`, else the command's path segment. */
  route: string
  /** Commands (as boss) that bring a freshly reported case to where `route` applies. */
  given: Step[]
  as: Caller
  body: object
  /** Another request for the same key: another body, or (for empty bodies) another route of the same case. */
  other: { route?: string; body: object }
  invalid: { body: object; field: string }
  /** Callers (with the body they send, if not `body`) refused with 403. */
  forbidden: Array<Caller | [Caller, object]>
  /** Event types the command appends. */
  events: string[]
}

const review = { rootCause: 'worn door sensor', lessons: 'check sensors monthly', preventiveActions: ['monthly check'], typical: false }
const assigned: Step = ['assign', { assigneeId: callers.technician.sub }]
const resolved: Step = ['resolve', { resolution: 'Door sensor replaced' }]

const routes: RouteCase[] = [
  {
    route: 'report',
    given: [],
    as: 'resident',
    body: reportBody(),
    other: { body: reportBody({ title: 'Lift 3 is noisy' }) },
    invalid: { body: reportBody({ kind: 'rumour' }), field: 'kind' },
    // A resident reports as themselves, never on another resident's behalf.
    forbidden: ['auditor', 'technician', ['otherResident', reportBody({ reporterId: callers.resident.sub })]],
    events: ['CaseReported'],
  },
  {
    route: 'acknowledge',
    given: [],
    as: 'staff',
    body: { note: 'We are on it' },
    other: { body: {} },
    invalid: { body: { note: '   ' }, field: 'note' },
    forbidden: ['auditor', 'resident', 'technician'],
    events: ['CaseAcknowledged'],
  },
  {
    route: 'assign',
    given: [],
    as: 'staff',
    body: { assigneeId: callers.technician.sub, team: 'lifts' },
    other: { body: { assigneeId: callers.otherTechnician.sub } },
    invalid: { body: { assigneeId: 'has space' }, field: 'assigneeId' },
    forbidden: ['auditor', 'resident', 'technician'],
    // Assigning a case nobody responded to yet is its first response.
    events: ['CaseAcknowledged', 'CaseAssigned'],
  },
  {
    route: 'hold',
    given: [assigned],
    as: 'staff',
    body: { reason: 'waiting for the spare part' },
    other: { body: { reason: 'owner not at home' } },
    invalid: { body: {}, field: 'reason' },
    forbidden: ['auditor', 'resident', 'technician'],
    events: ['CaseOnHold'],
  },
  {
    route: 'resume',
    given: [assigned, ['hold', { reason: 'waiting for the spare part' }]],
    as: 'manager',
    body: {},
    other: { route: 'escalate', body: { reason: 'too slow' } },
    invalid: { body: { reason: 'part arrived' }, field: 'reason' },
    forbidden: ['auditor', 'resident', 'technician'],
    events: ['CaseResumed'],
  },
  {
    route: 'note',
    given: [],
    as: 'resident',
    body: { body: 'Still stopping between floors', visibility: 'public' },
    other: { body: { body: 'Now it stops on every floor', visibility: 'public' } },
    invalid: { body: { body: 'x', visibility: 'secret' }, field: 'visibility' },
    // A resident's note on their own case is public or nothing.
    forbidden: ['auditor', 'technician', ['resident', { body: 'for staff eyes', visibility: 'internal' }]],
    events: ['CaseNoteAdded'],
  },
  {
    route: 'escalate',
    given: [],
    as: 'staff',
    body: { reason: 'third report this week' },
    other: { body: { reason: 'fourth report' } },
    invalid: { body: { reason: 'x'.repeat(2_001) }, field: 'reason' },
    forbidden: ['auditor', 'resident', 'technician'],
    events: ['CaseEscalated'],
  },
  {
    route: 'resolve',
    given: [assigned],
    // The technician the case is assigned to.
    as: 'technician',
    body: { resolution: 'Door sensor replaced' },
    other: { body: { resolution: 'Door sensor cleaned' } },
    invalid: { body: { resolution: 5 }, field: 'resolution' },
    forbidden: ['auditor', 'resident', 'otherTechnician'],
    events: ['CaseResolved'],
  },
  {
    route: 'follow-up',
    given: [assigned, resolved],
    as: 'resident',
    body: { rating: 4, comment: 'quick', method: 'app' },
    other: { body: { rating: 5, method: 'app' } },
    invalid: { body: { rating: 6, method: 'app' }, field: 'rating' },
    forbidden: ['auditor', 'technician'],
    events: ['CaseFollowedUp'],
  },
  {
    route: 'review',
    given: [assigned, resolved],
    as: 'manager',
    body: review,
    other: { body: { ...review, typical: true } },
    invalid: { body: { ...review, preventiveActions: 'monthly check' }, field: 'preventiveActions' },
    // Only managers review.
    forbidden: ['staff', 'auditor', 'resident', 'technician'],
    events: ['CaseReviewed'],
  },
  {
    route: 'close',
    given: [assigned, resolved, ['follow-up', { rating: 4, method: 'phone' }]],
    as: 'staff',
    body: {},
    other: { route: 'reopen', body: { reason: 'stopped again' } },
    invalid: { body: { reason: 'done' }, field: 'reason' },
    forbidden: ['auditor', 'resident', 'technician'],
    events: ['CaseClosed'],
  },
  {
    route: 'reopen',
    given: [assigned, resolved],
    as: 'resident',
    body: { reason: 'stopped again this morning' },
    other: { body: { reason: 'stopped again tonight' } },
    invalid: { body: {}, field: 'reason' },
    forbidden: ['auditor', 'technician'],
    events: ['CaseReopened'],
  },
  {
    route: 'withdraw',
    given: [],
    as: 'resident',
    body: { reason: 'it works again' },
    other: { body: { reason: 'moved out' } },
    invalid: { body: { reason: '' }, field: 'reason' },
    forbidden: ['auditor', 'technician'],
    events: ['CaseWithdrawn'],
  },
  {
    route: 'link',
    given: [],
    as: 'staff',
    body: { caseId: OTHER_CASE },
    other: { body: { caseId: THIRD_CASE } },
    invalid: { body: { caseId: 'not-a-uuid' }, field: 'caseId' },
    forbidden: ['auditor', 'resident', 'technician'],
    events: ['CaseLinked'],
  },
  {
    route: 'unlink',
    given: [['link', { caseId: OTHER_CASE }]],
    as: 'staff',
    body: { caseId: OTHER_CASE },
    other: { body: { caseId: THIRD_CASE } },
    invalid: { body: { caseId: null }, field: 'caseId' },
    forbidden: ['auditor', 'resident', 'technician'],
    events: ['CaseUnlinked'],
  },
  {
    route: 'merge',
    given: [],
    as: 'staff',
    body: { intoCaseId: PRIMARY_CASE },
    other: { body: { intoCaseId: OTHER_CASE } },
    invalid: { body: { intoCaseId: 42 }, field: 'intoCaseId' },
    forbidden: ['auditor', 'resident', 'technician'],
    events: ['CaseMerged'],
  },
  {
    route: 'unmerge',
    given: [['merge', { intoCaseId: PRIMARY_CASE }]],
    as: 'manager',
    body: {},
    other: { route: 'link', body: { caseId: OTHER_CASE } },
    invalid: { body: { intoCaseId: PRIMARY_CASE }, field: 'intoCaseId' },
    forbidden: ['auditor', 'resident', 'technician'],
    events: ['CaseUnmerged'],
  },
]

async function streamOf(runtime: Runtime, caseId: string) {
  const events = []
  for await (const event of runtime.eventStore.readStream(`case-${caseId}`)) events.push(event)
  return events
}

const pathOf = (route: string, caseId: string | undefined) => (route === 'report' ? '/cases' : `/cases/${caseId}/${route}`)

t.test('case command routes', async (t) => {
  const { app, runtime } = await setup(t)

  t.test('every case command has a route in the table', async (t) => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, { post?: unknown }> }
    const documented = Object.keys(doc.paths)
      .filter((p) => p.startsWith('/v1/cases') && doc.paths[p]!.post && !p.includes('/mediation'))
      .map((p) => (p === '/v1/cases' ? 'report' : p.replace('/v1/cases/{id}/', '')))
      .sort()
    t.same(documented, routes.map((r) => r.route).sort())
  })

  for (const row of routes) {
    const title = row.route === 'report' ? 'POST /v1/cases' : `POST /v1/cases/:id/${row.route}`
    t.test(title, async (t) => {
      const caseId = row.route === 'report' ? undefined : await reportCase(app)
      for (const [route, body, as] of row.given) {
        const res = await post(app, pathOf(route, caseId), body, { as: as ?? 'boss' })
        t.equal(res.statusCode, 200, `given ${route}`)
      }
      const before = caseId ? await streamOf(runtime, caseId) : []
      const revision = before.length - 1
      const path = pathOf(row.route, caseId)
      const key = `key-${row.route}`
      const type = row.route === 'report' ? 'report' : CaseCommandRoutes[row.route as CaseCommandRoute]
      const mayEverSend = (caller: Caller) => callers[caller].roles.some((role) => caseCommandRoles(type).includes(role))

      const invalid = await post(app, path, row.invalid.body, { as: row.as })
      t.equal(invalid.statusCode, 400, 'validation failure')
      t.match(invalid.json(), { code: 'VALIDATION_FAILED' })
      t.ok(
        invalid.json().errors.some((e: { path: string }) => e.path === row.invalid.field),
        `names the field ${row.invalid.field}`,
      )

      for (const entry of row.forbidden) {
        const [caller, body] = typeof entry === 'string' ? [entry, row.body] : entry
        const res = await post(app, path, body, { as: caller })
        t.equal(res.statusCode, 403, `${caller} is refused`)
        t.match(res.json(), { code: 'FORBIDDEN' })
        if (!mayEverSend(caller)) {
          // Authorize first: an invalid body tells a caller who may never send this command nothing of its shape.
          const early = await post(app, path, row.invalid.body, { as: caller })
          t.equal(early.statusCode, 403, `${caller} is refused before the body is validated`)
          t.notOk(early.json().errors, 'no field is named')
        }
      }

      if (caseId) {
        const res = await post(app, path, row.body, { as: 'otherResident' })
        // A command no resident may send is refused whatever the case, so the answer says nothing of it either.
        const [status, code] = mayEverSend('otherResident') ? [404, 'NOT_FOUND'] : [403, 'FORBIDDEN']
        t.equal(res.statusCode, status, `another resident's case: ${status}`)
        t.match(res.json(), { code })
      }

      const stale = await post(app, path, row.body, { as: row.as, ifMatch: `"${revision > 0 ? revision - 1 : revision + 1}"` })
      t.equal(stale.statusCode, 409, 'stale If-Match')
      t.match(stale.json(), { code: 'WRONG_EXPECTED_REVISION' })

      if (caseId) t.equal((await streamOf(runtime, caseId)).length, before.length, 'no refused request appended anything')

      // Success, pinned to the revision the client saw (a report has none).
      const pin = caseId ? { ifMatch: `"${revision}"` } : {}
      const ok = await post(app, path, row.body, { as: row.as, key, ...pin })
      const status = row.route === 'report' ? 201 : 200
      t.equal(ok.statusCode, status, `accepted: ${ok.body}`)
      const answer = ok.json() as { id: string; revision: string; position: string }
      const id = caseId ?? answer.id
      t.match(answer, { id: /^[0-9a-f-]{36}$/, revision: /^\d+$/, position: /^\d+$/ })
      t.equal(answer.id, id)
      t.equal(answer.revision, String(revision + row.events.length))
      t.equal(ok.headers.etag, `"${answer.revision}"`)
      const after = await streamOf(runtime, id)
      t.same(after.slice(before.length).map((e) => e.type), row.events, 'appended the events of the command')
      t.equal(String(after.at(-1)!.position), answer.position)
      t.equal(after.at(-1)!.metadata.idempotencyKey, key)

      const replay = await post(app, path, row.body, { as: row.as, key, ...pin })
      t.equal(replay.statusCode, status, 'replay answers the same status')
      t.same(replay.json(), answer, 'replay answers the first answer')
      t.equal(replay.headers['idempotent-replayed'], 'true')
      t.equal(replay.headers.etag, ok.headers.etag)

      const reused = await post(app, pathOf(row.other.route ?? row.route, caseId), row.other.body, { as: row.as, key })
      t.equal(reused.statusCode, 422, 'key reused with another request')
      t.match(reused.json(), { code: 'IDEMPOTENCY_KEY_REUSED' })
      t.equal((await streamOf(runtime, id)).length, after.length, 'neither the replay nor the reuse appended anything')
    })
  }

  t.test('the closed loop warn → respond → resolve → review, with metadata on every event', async (t) => {
    // A warning found on patrol: it must be reviewed (复盘) before it closes.
    const caseId = await reportCase(app, { kind: 'warning', channel: 'patrol', title: 'Cracked balcony slab' })
    const steps: Array<[string, object, Caller]> = [
      ['acknowledge', {}, 'staff'],
      ['assign', { assigneeId: callers.technician.sub }, 'staff'],
      ['note', { body: 'Area fenced off', visibility: 'internal' }, 'technician'],
      ['resolve', { resolution: 'Slab repaired and inspected' }, 'technician'],
      ['follow-up', { rating: 5, method: 'visit' }, 'staff'],
    ]
    for (const [route, body, as] of steps) {
      const res = await post(app, `/cases/${caseId}/${route}`, body, { as, correlationId: `loop-${route}` })
      t.equal(res.statusCode, 200, route)
      t.equal(res.headers['x-correlation-id'], `loop-${route}`, 'the correlation id is echoed')
    }
    const early = await post(app, `/cases/${caseId}/close`, {}, { as: 'staff' })
    t.equal(early.statusCode, 422)
    t.match(early.json(), { code: 'RULE_VIOLATED', rule: 'REVIEW_REQUIRED' })
    t.equal((await post(app, `/cases/${caseId}/review`, review, { as: 'manager' })).statusCode, 200)
    t.equal((await post(app, `/cases/${caseId}/close`, {}, { as: 'staff' })).statusCode, 200)
    const wrong = await post(app, `/cases/${caseId}/resolve`, { resolution: 'again' }, { as: 'staff' })
    t.match(wrong.json(), { status: 422, code: 'RULE_VIOLATED', rule: 'INVALID_TRANSITION' })

    const events = await streamOf(runtime, caseId)
    t.same(
      events.map((e) => e.type),
      ['CaseReported', 'CaseAcknowledged', 'CaseAssigned', 'CaseNoteAdded', 'CaseResolved', 'CaseFollowedUp', 'CaseReviewed', 'CaseClosed'],
    )
    t.same(events.map((e) => e.revision), events.map((_, i) => BigInt(i)), 'revisions are contiguous')
    for (const event of events) {
      const { actor, occurredAt, correlationId, causationId } = event.metadata
      t.ok(actor.id && actor.roles.length > 0, `${event.type}: actor`)
      t.ok(!Number.isNaN(Date.parse(occurredAt)), `${event.type}: occurredAt`)
      t.match(correlationId, /^[\w.:-]+$/, `${event.type}: correlationId`)
      t.type(causationId, 'string', `${event.type}: causationId`)
    }
    t.same(events[3]!.metadata.actor, { id: callers.technician.sub, roles: ['technician'] })
    t.equal(events[3]!.metadata.correlationId, 'loop-note')
  })

  t.test('a technician resolves only the cases assigned to them', async (t) => {
    const caseId = await reportCase(app)
    await post(app, `/cases/${caseId}/assign`, { assigneeId: callers.otherTechnician.sub })
    const res = await post(app, `/cases/${caseId}/resolve`, { resolution: 'done' }, { as: 'technician' })
    t.equal(res.statusCode, 403)
  })

  t.test('POST /v1/cases/:id/follow-up with a rating of 1–2 reopens the case', async (t) => {
    const caseId = await reportCase(app)
    await post(app, `/cases/${caseId}/assign`, { assigneeId: callers.technician.sub })
    await post(app, `/cases/${caseId}/resolve`, { resolution: 'done' })
    const res = await post(app, `/cases/${caseId}/follow-up`, { rating: 2, method: 'wechat' }, { as: 'resident' })
    t.equal(res.statusCode, 200)
    t.same((await streamOf(runtime, caseId)).slice(-2).map((e) => e.type), ['CaseFollowedUp', 'CaseReopened'])
    t.equal(res.json().revision, '5')
  })

  t.test('requests the edge refuses', async (t) => {
    const caseId = await reportCase(app)
    const anonymous = await app.inject({ method: 'POST', url: `/v1/cases/${caseId}/escalate`, payload: { reason: 'x' } })
    t.equal(anonymous.statusCode, 401)
    t.match(anonymous.json(), { code: 'UNAUTHENTICATED' })

    const badId = await post(app, '/cases/not-a-uuid/escalate', { reason: 'x' })
    t.match(badId.json(), { status: 400, errors: [{ path: 'params.id' }] })

    const badIfMatch = await post(app, `/cases/${caseId}/escalate`, { reason: 'x' }, { ifMatch: '3' })
    t.match(badIfMatch.json(), { status: 400, errors: [{ path: 'headers.if-match' }] })

    const badKey = await post(app, `/cases/${caseId}/escalate`, { reason: 'x' }, { key: 'with space' })
    t.match(badKey.json(), { status: 400, errors: [{ path: 'headers.idempotency-key' }] })

    const unknown = await post(app, `/cases/${OTHER_CASE}/escalate`, { reason: 'x' })
    t.match(unknown.json(), { status: 404, code: 'NOT_FOUND' })

    const huge = await app.inject({
      method: 'POST',
      url: `/v1/cases/${caseId}/note`,
      headers: { authorization: `Bearer ${await tokenOf('resident')}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ body: 'x'.repeat(65 * 1024), visibility: 'public' }),
    })
    t.equal(huge.statusCode, 413)
    t.match(huge.json(), { code: 'PAYLOAD_TOO_LARGE' })
    t.equal((await streamOf(runtime, caseId)).length, 1, 'nothing was appended')
  })

  t.test('a refused command gives its key back', async (t) => {
    const caseId = await reportCase(app)
    const refused = await post(app, `/cases/${caseId}/hold`, { reason: 'parts' }, { key: 'retry-me' })
    t.match(refused.json(), { status: 422, rule: 'INVALID_TRANSITION' })
    await post(app, `/cases/${caseId}/assign`, { assigneeId: callers.technician.sub })
    const retried = await post(app, `/cases/${caseId}/hold`, { reason: 'parts' }, { key: 'retry-me' })
    t.equal(retried.statusCode, 200, 'the same key works once the command can be accepted')
  })
})
