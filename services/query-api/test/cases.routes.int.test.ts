import { randomUUID } from 'node:crypto'
import { slaClocks, type ActiveCaseState, type CaseCommand, type CaseState, type CommandActor } from '@pc/domain'
import { readModelMigrations } from '@pc/read-models'
import { sql } from 'kysely'
import t from 'tap'
import { minutesAfter, report, stack, type InjectResponse, type Stack } from './support/stack.js'

/**
 * The case queries over HTTP, on data that went in as commands (handleCommand + the case decider) and came out of
 * the real projection runner: the queue with its filters and cursor, one case, its timeline, its raw events, the
 * SLA queue and the figures; who may see what; validation; read-your-writes.
 */

const staff: CommandActor = { id: 'staff-1', roles: ['staff'] }
const manager: CommandActor = { id: 'manager-1', roles: ['manager'] }
const residentA: CommandActor = { id: 'resident-a', roles: ['resident'] }
const residentB: CommandActor = { id: 'resident-b', roles: ['resident'] }
const residentC: CommandActor = { id: 'resident-c', roles: ['resident'] }
const T0 = '2026-03-02T01:00:00.000Z'

/** A1: the closed loop, with a public and an internal note (resident A). */
const A1 = randomUUID()
/** A2: resident A's second case, never answered. */
const A2 = randomUUID()
/** D1: resident B's dispute, assigned to technician 8, linked to A2. */
const D1 = randomUUID()
/** 120 cases of resident C for the pagination, reported in threes at the same minute (ties on the order's first key). */
const BULK = Array.from({ length: 120 }, () => randomUUID())
const bulkStart = minutesAfter(T0, 3 * 24 * 60)

let s!: Stack
let tokens!: Record<'staff' | 'manager' | 'auditor' | 'committee' | 'admin' | 'residentA' | 'residentB' | 'residentC' | 'tech' | 'mediator', string>
/** What the API answered before any projection ran. */
let beforeProjection!: { migrations: string[]; response: InjectResponse }
const states = new Map<string, CaseState>()
let lastPosition = -1n

async function run(caseId: string, command: CaseCommand, at: string) {
  const result = await s.command(caseId, command, at)
  states.set(caseId, result.state)
  lastPosition = result.position
  return result
}

t.before(async () => {
  s = await stack(t, { waitForTimeoutMs: 1000 })
  tokens = {
    staff: await s.token('staff-1', 'staff'),
    manager: await s.token('manager-1', 'manager'),
    auditor: await s.token('auditor-1', 'auditor'),
    committee: await s.token('committee-1', 'committee'),
    admin: await s.token('admin-1', 'admin'),
    residentA: await s.token('resident-a', 'resident'),
    residentB: await s.token('resident-b', 'resident'),
    residentC: await s.token('resident-c', 'resident'),
    tech: await s.token('tech-8', 'technician'),
    mediator: await s.token('mediator-1', 'mediator'),
  }
  const applied = await sql<{ name: string }>`select name from read_model_migrations order by name`.execute(s.db)
  beforeProjection = { migrations: applied.rows.map((r) => r.name), response: await s.get('/v1/cases', tokens.staff) }

  // A real envelope: the views open it for those who may see the contact.
  const reporter = await s.runtime.vault.seal('resident-a', { name: '王女士', phone: '138 0000 0000' })
  await run(A1, report(A1, residentA, { kind: 'repair', category: 'lift', title: 'Lift stuck', priority: 'high', location: { building: 'B2', unit: '301' }, reporter }), T0)
  await run(A1, { type: 'acknowledge', data: { note: 'On it' }, actor: staff }, minutesAfter(T0, 20))
  await run(A1, { type: 'assign', data: { assigneeId: 'tech-7', team: 'lifts' }, actor: staff }, minutesAfter(T0, 30))
  await run(A1, { type: 'note', data: { body: 'Engineer on site', visibility: 'public' }, actor: staff }, minutesAfter(T0, 60))
  await run(A1, { type: 'note', data: { body: 'Contractor invoice pending', visibility: 'internal' }, actor: staff }, minutesAfter(T0, 70))
  await run(A1, { type: 'resolve', data: { resolution: 'Door sensor replaced' }, actor: staff }, minutesAfter(T0, 120))
  await run(A1, { type: 'follow_up', data: { rating: 5, method: 'phone', comment: 'Quick' }, actor: staff }, minutesAfter(T0, 240))
  await run(A1, { type: 'review', data: { rootCause: 'Worn sensor', lessons: 'Check quarterly', preventiveActions: ['quarterly check'], typical: true }, actor: manager }, minutesAfter(T0, 300))
  await run(A1, { type: 'close', data: {}, actor: staff }, minutesAfter(T0, 310))

  await run(A2, report(A2, residentA, { kind: 'complaint', category: 'noise', title: 'Noise at night', location: { building: 'B1', unit: '101' } }), minutesAfter(T0, 24 * 60))

  await run(D1, report(D1, residentB, { kind: 'dispute', category: 'parking', title: 'Parking space taken', location: { building: 'B1', unit: '202' } }), minutesAfter(T0, 2 * 24 * 60))
  await run(D1, { type: 'assign', data: { assigneeId: 'tech-8' }, actor: staff }, minutesAfter(T0, 2 * 24 * 60 + 10))

  for (let i = 0; i < BULK.length; i += 12) {
    await Promise.all(
      BULK.slice(i, i + 12).map(async (id, j) => {
        const n = i + j
        const at = minutesAfter(bulkStart, Math.floor(n / 3))
        await run(id, report(id, residentC, { priority: (['low', 'normal', 'high', 'urgent'] as const)[n % 4], location: { building: `B${(n % 3) + 1}` } }), at)
        if (n % 4 === 0) {
          await run(id, { type: 'assign', data: { assigneeId: 'tech-1' }, actor: staff }, minutesAfter(at, 5))
          await run(id, { type: 'resolve', data: { resolution: 'Fixed' }, actor: staff }, minutesAfter(at, 50))
        }
      }),
    )
  }
  // Last, on its own: delivered after everything above, so waiting for it waits for all.
  await run(D1, { type: 'link', data: { caseId: A2 }, actor: staff }, minutesAfter(T0, 2 * 24 * 60 + 20))

  s.startProjector()
  await s.settle(lastPosition)
})

t.test('the query app migrates the read models when it starts, and answers before any projection ran', async (t) => {
  t.same(beforeProjection.migrations, Object.keys(readModelMigrations).sort())
  t.equal(beforeProjection.response.statusCode, 200)
  t.same(beforeProjection.response.json(), { cases: [], nextCursor: null })
  t.equal(beforeProjection.response.headers['x-projection-position'], '-1', 'nothing applied yet')
})

const ALL: string[] = [A1, A2, D1, ...BULK]
const active = (id: string) => states.get(id) as ActiveCaseState
/** The queue's order: newest report first, case id descending on ties. */
const queueOrder = (ids: string[]) =>
  [...ids].sort((a, b) => {
    const ra = active(a).reportedAt
    const rb = active(b).reportedAt
    if (ra !== rb) return ra < rb ? 1 : -1
    return a < b ? 1 : -1
  })

type Listed = { id: string; status: string; overdue: boolean; linkedCaseIds?: string[] }

async function walk(query: string, token: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const url: string = `/v1/cases?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`
    const res = await s.get(url, token)
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
    const body = res.json() as { cases: Listed[]; nextCursor: string | null }
    ids.push(...body.cases.map((c) => c.id))
    cursor = body.nextCursor
    pages++
  } while (cursor)
  return { ids, pages }
}

t.test('GET /v1/cases lists every case to staff, newest first, 50 per page by default', async (t) => {
  const res = await s.get('/v1/cases', tokens.staff)
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.equal(body.cases.length, 50)
  t.type(body.nextCursor, 'string')
  t.same(body.cases.map((c: Listed) => c.id), queueOrder(ALL).slice(0, 50))
  t.match(res.headers['x-projection-position'], /^\d+$/)
  const { ids } = await walk('status=reported,acknowledged,in_progress,on_hold,resolved,followed_up,closed,withdrawn,merged', tokens.staff, 40)
  t.same(ids, queueOrder(ALL), 'walking every page lists every case once, in order')
})

t.test('GET /v1/cases pages with an opaque cursor: every case once, in a stable order, while new cases arrive', async (t) => {
  const expected = queueOrder(BULK)
  const ids: string[] = []
  let cursor: string | null = null
  let pages = 0
  let late: string | null = null
  do {
    const res = await s.get(`/v1/cases?reporterId=resident-c&limit=7${cursor ? `&cursor=${cursor}` : ''}`, tokens.staff)
    t.equal(res.statusCode, 200)
    const body = res.json() as { cases: Listed[]; nextCursor: string | null }
    t.ok(body.cases.length <= 7)
    ids.push(...body.cases.map((c) => c.id))
    cursor = body.nextCursor
    pages++
    if (pages === 3) {
      // A newer case lands mid-walk: it sorts before the first page, so the walk neither repeats nor skips.
      late = randomUUID()
      const { position } = await run(late, report(late, residentC), minutesAfter(bulkStart, 10 * 24 * 60))
      await s.settle(position)
    }
  } while (cursor)
  t.equal(pages, Math.ceil(120 / 7))
  t.same(ids, expected, 'all 120, each once, newest first with the id breaking ties')
  const after = await s.get('/v1/cases?reporterId=resident-c&limit=1', tokens.staff)
  t.equal(after.json().cases[0].id, late, 'the late case heads the queue afterwards')
  ALL.push(late!)
})

t.test('GET /v1/cases filters by status, kind, category, priority, building, unit, assignee, reporter and overdue', async (t) => {
  const ids = async (query: string) => {
    const res = await s.get(`/v1/cases?${query}&limit=200&waitFor=${lastPosition}`, tokens.staff)
    t.equal(res.statusCode, 200, query)
    return (res.json().cases as Listed[]).map((c) => c.id).sort()
  }
  const where = (predicate: (state: ActiveCaseState) => boolean) => ALL.filter((id) => predicate(active(id))).sort()
  t.same(await ids('status=closed'), [A1])
  t.same(await ids('status=resolved'), where((c) => c.status === 'resolved'))
  t.same(await ids('status=closed,resolved'), where((c) => c.status === 'closed' || c.status === 'resolved'))
  t.same(await ids('kind=dispute'), [D1])
  t.same(await ids('kind=complaint,dispute'), [A2, D1].sort())
  t.same(await ids('category=lift'), [A1])
  t.same(await ids('priority=urgent'), where((c) => c.priority === 'urgent'))
  t.same(await ids('building=B2'), where((c) => c.location.building === 'B2'))
  t.same(await ids('building=B1&unit=202'), [D1])
  t.same(await ids('assigneeId=tech-8'), [D1])
  t.same(await ids('reporterId=resident-a'), [A1, A2].sort())
  t.same(await ids('reporterId=resident-a&kind=dispute'), [], 'filters combine')

  const now = s.clock.now.toISOString()
  const overdueNow = (c: ActiveCaseState) => Object.values(slaClocks(c, now)).some((clock) => clock.running && clock.overdue)
  const overdue = await ids('overdue=true')
  t.same(overdue, where(overdueNow), 'overdue=true: a running clock past due, as slaClocks says')
  t.same(await ids('overdue=false'), where((c) => !overdueNow(c)))
  t.ok(overdue.length > 0 && overdue.length < ALL.length, 'both kinds are present')
  s.clock.now = new Date('2026-03-01T00:00:00.000Z')
  t.same(await ids('overdue=true'), [], 'nothing is overdue before anything was reported: the clock is the injected one')
  s.clock.now = new Date('2026-03-10T02:00:00.000Z')
})

t.test('GET /v1/cases answers 400 naming the query field for bad filters, limits and cursors', async (t) => {
  const cases: Array<[string, string]> = [
    ['status=bogus', 'query.status.0'],
    ['status=closed,nope', 'query.status.1'],
    ['kind=repair,', ''],
    ['priority=3', 'query.priority.0'],
    ['overdue=yes', 'query.overdue'],
    ['limit=0', 'query.limit'],
    ['limit=201', 'query.limit'],
    ['limit=ten', 'query.limit'],
    ['cursor=not-a-cursor', 'query.cursor'],
    [`cursor=${Buffer.from('{"r":"2026","c":"x"}').toString('base64url')}`, 'query.cursor'],
    ['waitFor=-1', 'query.waitFor'],
    ['waitFor=abc', 'query.waitFor'],
  ]
  for (const [query, path] of cases) {
    const res = await s.get(`/v1/cases?${query}`, tokens.staff)
    if (path === '') {
      t.equal(res.statusCode, 200, `${query} is fine (empty items are ignored)`)
      continue
    }
    t.equal(res.statusCode, 400, query)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', query)
    t.match(res.json(), { code: 'VALIDATION_FAILED', errors: [{ path }] }, query)
  }
})

t.test('GET /v1/cases and /v1/cases/:id: residents see their own cases only; others are 404', async (t) => {
  const mine = await s.get('/v1/cases', tokens.residentA)
  t.equal(mine.statusCode, 200)
  t.same((mine.json().cases as Listed[]).map((c) => c.id), queueOrder([A1, A2]))
  const spoofed = await s.get('/v1/cases?reporterId=resident-b', tokens.residentA)
  t.same(spoofed.json().cases, [], 'asking for another resident by filter finds nothing')

  const other = await s.get(`/v1/cases/${D1}`, tokens.residentA)
  const missing = await s.get(`/v1/cases/${randomUUID()}`, tokens.residentA)
  t.equal(other.statusCode, 404)
  t.equal(missing.statusCode, 404)
  t.equal(other.json().code, 'NOT_FOUND')
  t.equal(other.json().title, missing.json().title, "another resident's case looks exactly like no case")
  t.match(other.headers['x-projection-position'], /^\d+$/, 'a 404 carries the position too')
  for (const path of ['timeline']) {
    t.equal((await s.get(`/v1/cases/${D1}/${path}`, tokens.residentA)).statusCode, 404, path)
  }

  const own = await s.get(`/v1/cases/${D1}`, tokens.residentB)
  t.equal(own.statusCode, 200)
  const body = own.json()
  t.equal(body.id, D1)
  t.equal(body.linkedCaseIds, undefined, "a resident does not see links to other residents' cases")
  t.equal(body.mergedCaseIds, undefined)
  t.equal(body.review, undefined)
  const asStaff = (await s.get(`/v1/cases/${D1}`, tokens.staff)).json()
  t.same(asStaff.linkedCaseIds, [A2], 'staff see the links')
})

t.test('GET /v1/cases: technicians see their assignments, mediators the disputes, committee and admin nothing', async (t) => {
  const tech = await s.get('/v1/cases', tokens.tech)
  t.same((tech.json().cases as Listed[]).map((c) => c.id), [D1])
  t.equal((await s.get(`/v1/cases/${A1}`, tokens.tech)).statusCode, 404, 'a case assigned to someone else')
  const techTimeline = await s.get(`/v1/cases/${D1}/timeline`, tokens.tech)
  t.ok(techTimeline.json().entries.some((e: { visibility: string }) => e.visibility === 'internal'), 'technicians read internal entries')

  const mediator = await s.get('/v1/cases', tokens.mediator)
  t.same((mediator.json().cases as Listed[]).map((c) => c.id), [D1])

  for (const [who, token] of [['committee', tokens.committee], ['admin', tokens.admin]] as const) {
    for (const url of ['/v1/cases', `/v1/cases/${A1}`, `/v1/cases/${A1}/timeline`]) {
      const res = await s.get(url, token)
      t.equal(res.statusCode, 403, `${who} ${url}`)
      t.equal(res.json().code, 'FORBIDDEN')
    }
  }
  const anonymous = await s.app.inject({ method: 'GET', url: '/v1/cases' })
  t.equal(anonymous.statusCode, 401)
  t.equal(anonymous.json().code, 'UNAUTHENTICATED')
})

t.test('GET /v1/cases/:id shows the closed loop as it happened', async (t) => {
  const res = await s.get(`/v1/cases/${A1}`, tokens.staff)
  t.equal(res.statusCode, 200)
  t.match(res.json(), {
    id: A1,
    revision: '8',
    status: 'closed',
    kind: 'repair',
    category: 'lift',
    priority: 'high',
    location: { building: 'B2', unit: '301' },
    reporterId: 'resident-a',
    assigneeId: 'tech-7',
    team: 'lifts',
    noteCount: 2,
    rating: 5,
    reviewed: true,
    overdue: false,
    description: 'Water under the sink',
    resolution: 'Door sensor replaced',
    followUp: { rating: 5, method: 'phone', comment: 'Quick' },
    review: { rootCause: 'Worn sensor', typical: true },
    reportedAt: T0,
    closedAt: minutesAfter(T0, 310),
    resolvedAt: minutesAfter(T0, 120),
    sla: { response: { met: true, running: false }, resolution: { met: true, running: false } },
    mergedCaseIds: [],
    hold: null,
    withdrawal: null,
  })
  t.same(res.json().reporter, { subjectId: 'resident-a', name: '王女士', phone: '138 0000 0000' }, 'staff see whom to call')
  const tech = await s.get(`/v1/cases/${A1}`, await s.token('tech-7', 'technician'))
  t.match(tech.json().reporter, { phone: '138 0000 0000' }, 'so does the technician sent to it')
  const auditor = await s.get(`/v1/cases/${A1}`, tokens.auditor)
  t.same(auditor.json().reporter, { subjectId: 'resident-a', sealed: true }, 'auditors see that there is a contact, never the contact')
  t.notMatch(auditor.body, /138 0000 0000|王女士/)
  const { rows } = await sql<{ state: unknown }>`select state from case_list where case_id = ${A1}`.execute(s.db)
  t.notMatch(JSON.stringify(rows), /138 0000 0000|王女士/, 'the read model keeps only the envelope')
  t.match(JSON.stringify(rows), /"keyId"/)
  const resident = await s.get(`/v1/cases/${A1}`, tokens.residentA)
  t.equal(resident.statusCode, 200)
  t.match(resident.json().reporter, { name: '王女士' }, 'the reporter sees their own contact')
  t.equal(resident.json().review, undefined, 'residents do not read the review (复盘)')
  t.equal(resident.json().noteCount, 1, 'a resident counts the public note, not the internal one')
  const residentQueue = await s.get('/v1/cases', tokens.residentA)
  t.equal((residentQueue.json().cases as Array<{ id: string; noteCount: number }>).find((c) => c.id === A1)?.noteCount, 1, 'in the queue too')
  const staffQueue = await s.get('/v1/cases?reporterId=resident-a', tokens.staff)
  t.equal((staffQueue.json().cases as Array<{ id: string; noteCount: number }>).find((c) => c.id === A1)?.noteCount, 2, 'staff count both')
  const bad = await s.get('/v1/cases/not-a-uuid', tokens.staff)
  t.equal(bad.statusCode, 400)
  t.match(bad.json(), { code: 'VALIDATION_FAILED', errors: [{ path: 'params.id' }] })
})

t.test('GET /v1/cases/:id/timeline: one entry per event; residents see the public ones', async (t) => {
  const staffView = await s.get(`/v1/cases/${A1}/timeline`, tokens.staff)
  t.equal(staffView.statusCode, 200)
  const entries = staffView.json().entries as Array<{ revision: string; type: string; visibility: string; summary: string; detail: string | null; actor: { id: string } }>
  t.same(entries.map((e) => e.revision), ['0', '1', '2', '3', '4', '5', '6', '7', '8'])
  t.same(entries.map((e) => e.type), [
    'CaseReported', 'CaseAcknowledged', 'CaseAssigned', 'CaseNoteAdded', 'CaseNoteAdded', 'CaseResolved',
    'CaseFollowedUp', 'CaseReviewed', 'CaseClosed',
  ])
  t.equal(entries[7]!.actor.id, 'manager-1')
  t.ok(entries.some((e) => e.detail === 'Contractor invoice pending'))

  const residentView = await s.get(`/v1/cases/${A1}/timeline`, tokens.residentA)
  t.equal(residentView.statusCode, 200)
  const publicEntries = residentView.json().entries as typeof entries
  t.ok(publicEntries.every((e) => e.visibility === 'public'))
  t.same(publicEntries.map((e) => e.revision), entries.filter((e) => e.visibility === 'public').map((e) => e.revision))
  t.notMatch(residentView.body, /Contractor invoice pending|Worn sensor/, 'no internal note, no review')
  t.ok(publicEntries.some((e) => e.detail === 'Engineer on site'), 'the public note is there')
})

t.test('GET /v1/cases/:id/events: auditors and managers read the raw events with their hash chain', async (t) => {
  const res = await s.get(`/v1/cases/${A1}/events`, tokens.auditor)
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.equal(body.nextRevision, null)
  const events = body.events as Array<{ revision: string; position: string; type: string; schemaVersion: number; data: { at: string }; metadata: { hash: string; prevHash: string; actor: { id: string } } }>
  t.equal(events.length, 9)
  t.same(events.map((e) => e.revision), ['0', '1', '2', '3', '4', '5', '6', '7', '8'])
  t.ok(events.every((e) => /^\d+$/.test(e.position)), 'positions are decimal strings')
  t.equal(events[0]!.metadata.prevHash, '0'.repeat(64))
  for (let i = 1; i < events.length; i++) t.equal(events[i]!.metadata.prevHash, events[i - 1]!.metadata.hash, `chain at ${i}`)
  t.equal(events[0]!.type, 'CaseReported')
  t.match(events[0]!.data, { reporter: { subject: 'resident-a', keyId: /^[0-9a-f]{32}$/ } }, 'the raw event, its contact sealed')
  t.notMatch(res.body, /138 0000 0000|王女士/, 'no personal data in clear in the raw events')
  t.equal(events[7]!.metadata.actor.id, 'manager-1')

  const page = await s.get(`/v1/cases/${A1}/events?from=3&limit=4`, tokens.manager)
  t.equal(page.statusCode, 200)
  t.same(page.json().events.map((e: { revision: string }) => e.revision), ['3', '4', '5', '6'])
  t.equal(page.json().nextRevision, '7')
  const past = await s.get(`/v1/cases/${A1}/events?from=40`, tokens.auditor)
  t.same(past.json().events, [], 'past the end of an existing case: an empty page')

  t.equal((await s.get(`/v1/cases/${randomUUID()}/events`, tokens.auditor)).statusCode, 404)
  for (const token of [tokens.staff, tokens.residentA, tokens.committee, tokens.tech]) {
    t.equal((await s.get(`/v1/cases/${A1}/events`, token)).statusCode, 403)
  }
  t.equal((await s.get(`/v1/cases/${A1}/events?limit=0`, tokens.auditor)).statusCode, 400)
  t.match((await s.get(`/v1/cases/${A1}/events?from=x`, tokens.auditor)).json(), { errors: [{ path: 'query.from' }] })
})

t.test('GET /v1/cases/:id/history: exactly one of asOf and revision, state from the event store', async (t) => {
  const url = `/v1/cases/${A1}/history`
  const bad: Array<[string, string]> = [
    ['', 'query.asOf'],
    ['?revision=1&asOf=2026-03-02T02:00:00Z', 'query.revision'],
    ['?revision=-1', 'query.revision'],
    ['?revision=1.5', 'query.revision'],
    ['?asOf=yesterday', 'query.asOf'],
  ]
  for (const [query, path] of bad) {
    const res = await s.get(`${url}${query}`, tokens.auditor)
    t.equal(res.statusCode, 400, query || '(nothing)')
    t.match(res.json(), { code: 'VALIDATION_FAILED', errors: [{ path }] }, query)
  }
  const atResolve = await s.get(`${url}?revision=5`, tokens.auditor)
  t.equal(atResolve.statusCode, 200)
  t.match(atResolve.json(), { caseId: A1, revision: '5', asOf: minutesAfter(T0, 120), state: { status: 'resolved', reporter: { subjectId: 'resident-a', sealed: true } } })
  t.match((await s.get(`${url}?revision=5`, tokens.manager)).json(), { state: { reporter: { phone: '138 0000 0000' } } }, 'managers see it in clear')
  t.match(atResolve.headers['x-projection-position'], /^\d+$/)
  const asOf = await s.get(`${url}?asOf=${encodeURIComponent('2026-03-02T10:05:00+08:00')}`, tokens.manager)
  t.match(asOf.json(), { revision: '3', asOf: minutesAfter(T0, 65), state: { status: 'in_progress', noteCount: 1 } }, 'offsets are understood')
  t.equal((await s.get(`${url}?revision=9`, tokens.staff)).statusCode, 404, 'past the last revision')
  t.equal((await s.get(`${url}?asOf=2026-03-01T00:00:00Z`, tokens.staff)).statusCode, 404, 'before the report')
  t.equal((await s.get(`/v1/cases/${randomUUID()}/history?revision=0`, tokens.staff)).statusCode, 404)
  for (const token of [tokens.residentA, tokens.committee, tokens.tech]) {
    t.equal((await s.get(`${url}?revision=0`, token)).statusCode, 403)
  }
})

t.test('GET /v1/sla/overdue lists the open cases past a deadline at the injected clock', async (t) => {
  const res = await s.get('/v1/sla/overdue?limit=1000', tokens.staff)
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.equal(body.now, s.clock.now.toISOString())
  const now = body.now as string
  const expected = ALL.filter((id) => Object.values(slaClocks(active(id), now)).some((c) => c.running && c.overdue)).sort()
  t.same((body.cases as Array<{ caseId: string }>).map((c) => c.caseId).sort(), expected)
  t.ok(expected.includes(A2) && !expected.includes(A1))
  const a2 = body.cases.find((c: { caseId: string }) => c.caseId === A2)
  t.match(a2, { kind: 'complaint', building: 'B1', clocks: { response: { running: true, overdue: true } } })
  t.ok(a2.clocks.response.remainingMinutes < 0)
  t.notMatch(res.body, /resident-|138 0000/, 'no people in the SLA queue')
  const b2 = await s.get('/v1/sla/overdue?building=B2&limit=1000', tokens.manager)
  t.ok(b2.json().cases.every((c: { building: string }) => c.building === 'B2'))
  s.clock.now = new Date('2026-03-02T00:00:00.000Z')
  t.same((await s.get('/v1/sla/overdue', tokens.staff)).json().cases, [], 'nothing is due before it was reported')
  s.clock.now = new Date('2026-03-10T02:00:00.000Z')
  for (const token of [tokens.residentA, tokens.committee, tokens.tech]) {
    t.equal((await s.get('/v1/sla/overdue', token)).statusCode, 403)
  }
  t.equal((await s.get('/v1/sla/overdue?limit=5000', tokens.staff)).statusCode, 400)
})

t.test('GET /v1/metrics/cases gives committee members figures without personal data', async (t) => {
  const all = await s.get('/v1/metrics/cases', tokens.committee)
  t.equal(all.statusCode, 200)
  const body = all.json()
  t.same(body.groupBy, [])
  t.equal(body.groups.length, 1)
  t.equal(body.groups[0].cases, ALL.length)
  t.equal(body.groups[0].byKind.dispute, 1)
  t.equal(body.groups[0].byStatus.closed, 1)
  t.equal(body.groups[0].averageSatisfaction, 5)
  t.notMatch(all.body, /resident-|staff-|tech-|138 0000|Lift stuck/, 'aggregates only')

  const grouped = await s.get('/v1/metrics/cases?groupBy=building,month&from=2026-03&to=2026-03', tokens.manager)
  t.equal(grouped.statusCode, 200)
  const groups = grouped.json().groups as Array<{ month: string; building: string; category: null; cases: number }>
  t.same([...new Set(groups.map((g) => g.month))], ['2026-03'])
  t.equal(groups.reduce((sum, g) => sum + g.cases, 0), ALL.length)
  const b2 = ALL.filter((id) => active(id).location.building === 'B2').length
  t.equal(groups.find((g) => g.building === 'B2')?.cases, b2)
  t.ok(groups.every((g) => g.category === null))
  t.same((await s.get('/v1/metrics/cases?from=2026-04', tokens.auditor)).json().groups, [])

  const bad: Array<[string, string]> = [
    ['from=2026-13', 'query.from'],
    ['to=March', 'query.to'],
    ['from=2026-04&to=2026-03', 'query.to'],
    ['groupBy=street', 'query.groupBy.0'],
  ]
  for (const [query, path] of bad) {
    const res = await s.get(`/v1/metrics/cases?${query}`, tokens.committee)
    t.equal(res.statusCode, 400, query)
    t.match(res.json(), { code: 'VALIDATION_FAILED', errors: [{ path }] }, query)
  }
  for (const token of [tokens.residentA, tokens.staff, tokens.tech]) {
    t.equal((await s.get('/v1/metrics/cases', token)).statusCode, 403)
  }
})

t.test('GET /docs/json documents the case query routes', async (t) => {
  const res = await s.app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const paths = Object.keys(res.json().paths)
  for (const path of ['/v1/cases', '/v1/cases/{id}', '/v1/cases/{id}/timeline', '/v1/cases/{id}/history', '/v1/cases/{id}/events', '/v1/sla/overdue', '/v1/metrics/cases']) {
    t.ok(paths.includes(path), path)
  }
})

t.test('waitFor: a query waits for the projections to apply a write, or says it could not', async (t) => {
  await s.stopProjector()
  const { position } = await run(A2, { type: 'acknowledge', data: {}, actor: staff }, '2026-03-10T01:00:00.000Z')

  const started = Date.now()
  const stale = await s.get(`/v1/cases/${A2}?waitFor=${position}`, tokens.staff)
  const waited = Date.now() - started
  t.equal(stale.statusCode, 200, 'after the timeout the query answers anyway…')
  t.equal(stale.headers['x-projection-stale'], 'true', '…saying it may not show the write')
  t.equal(stale.json().status, 'reported')
  t.ok(waited >= 950, `it waited (${waited} ms)`)
  const stalePosition = BigInt(stale.headers['x-projection-position'] as string)
  t.ok(stalePosition < position, 'the header shows how far the read model got')

  // Live again: a write made now is visible to a query that names it, however the race with the projector goes.
  s.startProjector()
  await s.settle(position)
  const note = await run(A2, { type: 'note', data: { body: 'Visit booked', visibility: 'public' }, actor: staff }, '2026-03-10T01:30:00.000Z')
  const fresh = await s.get(`/v1/cases/${A2}?waitFor=${note.position}`, tokens.staff)
  t.equal(fresh.statusCode, 200)
  t.equal(fresh.headers['x-projection-stale'], undefined)
  t.match(fresh.json(), { status: 'acknowledged', noteCount: 1 }, 'the write is visible once the projection applied it')
  const header = fresh.headers['x-projection-position'] as string
  t.ok(BigInt(header) >= note.position)
  const timeline = await s.get(`/v1/cases/${A2}/timeline?waitFor=${note.position}`, tokens.residentA)
  t.equal(timeline.json().entries.at(-1).detail, 'Visit booked', 'the timeline too')

  const again = Date.now()
  const echo = await s.get(`/v1/cases?waitFor=${header}`, tokens.staff)
  t.equal(echo.headers['x-projection-stale'], undefined, 'passing the header back as waitFor never waits')
  t.ok(Date.now() - again < 500)

  for (const [url, token] of [
    ['/v1/sla/overdue?', tokens.staff],
    ['/v1/metrics/cases?', tokens.committee],
    [`/v1/cases/${A2}/history?revision=0&`, tokens.auditor],
  ] as const) {
    const res = await s.get(`${url}waitFor=${note.position}`, token)
    t.equal(res.statusCode, 200, url)
    t.equal(res.headers['x-projection-stale'], undefined, url)
    t.match(res.headers['x-projection-position'], /^\d+$/, url)
  }
  const never = await s.get(`/v1/cases/${A2}/history?revision=0&waitFor=999999999`, tokens.auditor)
  t.equal(never.headers['x-projection-stale'], 'true', 'a position never written is not waited for forever')
})

t.test('a role-gated query refuses a caller without the role with 403 before it validates anything', async (t) => {
  // Each request is invalid as well: a 400 would teach a resident the route's parameters.
  for (const url of [
    `/v1/cases/${A1}/history`,
    `/v1/cases/${A1}/history?revision=x`,
    '/v1/cases/not-a-uuid/events',
    `/v1/cases/${A1}/events?limit=0`,
    '/v1/sla/overdue?limit=abc',
  ]) {
    const res = await s.get(url, tokens.residentA)
    t.equal(res.statusCode, 403, `resident ${url}`)
    t.equal(res.json().code, 'FORBIDDEN')
    t.notOk(res.json().errors, 'no field is named')
  }
  const staff = await s.get(`/v1/cases/${A1}/history`, tokens.staff)
  t.equal(staff.statusCode, 400, 'a caller with the role is told what is wrong')
})
