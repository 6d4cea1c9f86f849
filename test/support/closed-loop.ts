/**
 * The closed loop of DESIGN §1 (warn → respond → resolve → review) driven over HTTP, and every case query read
 * back, all through the typed client generated from the OpenAPI document (`@pc/client`): a route the document gets
 * wrong breaks this file at compile time or its assertions at run time. One implementation for every event-store
 * adapter: `closed-loop.e2e.test.ts` runs it on PostgreSQL, the
 * EventStoreDB test on its gRPC stand-in.
 *
 * @example
 * const client = httpClient(baseUrl) // or httpClient(app) for inject
 * const loop = await runClosedLoop(t, client, { tokens: await closedLoopTokens(secret), clock })
 * const answers = await readEverything(t, client, loop)
 */
import type { Test } from 'tap'
import { createPropertyCasesClient, type Problem, type PropertyCasesClient } from '@pc/client'
import { signToken } from '@pc/platform'
import { injectFetch, type Injectable } from './inject-fetch.js'

// ---------------------------------------------------------------------------------------------------------------
// Client

export interface Answer<Body = unknown> {
  status: number
  headers: Record<string, string | undefined>
  body: Body
}

export interface HttpClient {
  /** The typed client generated from the OpenAPI document, as the holder of `token`: what the loop speaks. */
  as(token?: string): PropertyCasesClient
  /** Any request at all, untyped: for tests that send what the document does not describe. */
  request(method: 'GET' | 'POST', path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Answer>
}

export type { Injectable }

/** A client over real HTTP (a base URL such as `http://127.0.0.1:3000`) or over `app.inject`. */
export function httpClient(target: string | Injectable): HttpClient {
  const baseUrl = typeof target === 'string' ? target : 'http://inject.test'
  const send = typeof target === 'string' ? (request: Request) => fetch(request) : injectFetch(target)
  const typed = new Map<string, PropertyCasesClient>()
  return {
    as(token) {
      const key = token ?? ''
      if (!typed.has(key)) typed.set(key, createPropertyCasesClient({ baseUrl, fetch: send, ...(token !== undefined && { token }) }))
      return typed.get(key)!
    },
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers }
      if (options.token) headers.authorization = `Bearer ${options.token}`
      if (options.body !== undefined) headers['content-type'] = 'application/json'
      const body = options.body === undefined ? undefined : JSON.stringify(options.body)
      const res = await send(new Request(`${baseUrl}${path}`, { method, headers, ...(body !== undefined && { body }) }))
      const text = await res.text()
      return { status: res.status, headers: Object.fromEntries(res.headers), body: text === '' ? undefined : JSON.parse(text) }
    },
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Who takes part, and the clock the SLA worker and the query API measure with

export const TECHNICIAN_ID = 'tech-closed-loop'

export interface ClosedLoopTokens {
  resident: string
  /** Another resident: must see none of the first one's cases. */
  otherResident: string
  staff: string
  /** `TECHNICIAN_ID`, the assignee. */
  technician: string
  manager: string
  auditor: string
  committee: string
}

/** Tokens for every role of the loop, signed with the server's `JWT_SECRET`. */
export async function closedLoopTokens(secret: string): Promise<ClosedLoopTokens> {
  const sign = (sub: string, role: Parameters<typeof signToken>[1]['roles'][number], units?: string[]) =>
    signToken(secret, { sub, roles: [role], ...(units && { units }) })
  return {
    resident: await sign('resident-closed-loop', 'resident', ['B3-201']),
    otherResident: await sign('resident-next-door', 'resident', ['B3-202']),
    staff: await sign('staff-closed-loop', 'staff'),
    technician: await sign(TECHNICIAN_ID, 'technician'),
    manager: await sign('manager-closed-loop', 'manager'),
    auditor: await sign('auditor-closed-loop', 'auditor'),
    committee: await sign('committee-closed-loop', 'committee'),
  }
}

/**
 * A clock that stands still until moved: hand `now` to the SLA worker and to the query API (their `now` options),
 * so deadlines can be missed without waiting and two reads at different wall times answer the same.
 */
export interface ManualClock {
  now(): Date
  advance(ms: number): void
}

export function manualClock(start: number = Date.now()): ManualClock {
  let current = start
  return { now: () => new Date(current), advance: (ms) => void (current += ms) }
}

// ---------------------------------------------------------------------------------------------------------------
// The loop

export interface ClosedLoop {
  tokens: ClosedLoopTokens
  /** The case taken round the whole loop. */
  caseId: string
  /** An urgent case left unanswered until the clock passed its response target. */
  breachedCaseId: string
  /** Every event of the loop has a position at or before this one (pass it as `waitFor`). */
  position: string
  /** When the loop case was resolved (between its resolve and its follow-up), for `history?asOf=`. */
  resolvedAsOf: string
}

export interface ClosedLoopOptions {
  tokens: ClosedLoopTokens
  clock: ManualClock
  /** How long to wait for the SLA worker to record the breach (default 20 s). */
  slaTimeoutMs?: number
}

/**
 * Report → acknowledge → assign → note (public and internal) → resolve → follow-up → review → close over HTTP,
 * each step answering `{ id, revision, position }` with the next revision; then an urgent case nobody answers,
 * the clock moved past its 15-minute response target, and the SLA worker's `ResponseOverdue` and escalation
 * awaited on the timeline.
 */
export async function runClosedLoop(t: Test, client: HttpClient, options: ClosedLoopOptions): Promise<ClosedLoop> {
  const { tokens, clock } = options
  const as = (token: string) => client.as(token)
  /** A command's answer: its status checked, its body the document's `{ id, revision, position }`. */
  const accepted = async (name: string, status: number, call: Promise<CommandResult>) => {
    const { data, error, response } = await call
    t.equal(response.status, status, `${name}: ${status}`)
    if (!data) t.fail(`${name} answered ${response.status}`, { error })
    t.equal(response.headers.get('etag'), data ? `"${data.revision}"` : null, `${name}: ETag is the revision`)
    return data ?? { id: '', revision: '', position: '-1' }
  }

  const reported = await accepted(
    'report',
    201,
    as(tokens.resident).POST('/v1/cases', {
      body: {
        kind: 'repair',
        category: 'lift',
        title: 'Lift door does not close',
        description: 'The door of lift 2 keeps reopening on every floor',
        channel: 'app',
        priority: 'high',
        location: { building: 'B3', unit: '201' },
        reporter: { name: '王女士', phone: '138 0000 0000' },
      },
    }),
  )
  t.match(reported, { id: String, revision: '0', position: /^\d+$/ })
  const caseId = reported.id
  const id = { path: { id: caseId } }

  const steps: Array<[string, () => Promise<CommandResult>]> = [
    ['acknowledge', () => as(tokens.staff).POST('/v1/cases/{id}/acknowledge', { params: id })],
    ['assign', () => as(tokens.staff).POST('/v1/cases/{id}/assign', { params: id, body: { assigneeId: TECHNICIAN_ID, team: 'lifts' } })],
    ['note', () => as(tokens.technician).POST('/v1/cases/{id}/note', { params: id, body: { body: 'Door sensor ordered', visibility: 'public' } })],
    [
      'note',
      () => as(tokens.staff).POST('/v1/cases/{id}/note', { params: id, body: { body: 'Supplier slow last time; chase on Friday', visibility: 'internal' } }),
    ],
    ['resolve', () => as(tokens.technician).POST('/v1/cases/{id}/resolve', { params: id, body: { resolution: 'Door sensor replaced and tested' } })],
    ['follow-up', () => as(tokens.staff).POST('/v1/cases/{id}/follow-up', { params: id, body: { rating: 5, comment: 'Works now', method: 'phone' } })],
    [
      'review',
      () =>
        as(tokens.manager).POST('/v1/cases/{id}/review', {
          params: id,
          body: { rootCause: 'Worn sensor', lessons: 'Check sensors at the monthly service', preventiveActions: ['Add sensors to the service checklist'], typical: false },
        }),
    ],
    // The client pins the revision it decided on.
    ['close', () => as(tokens.staff).POST('/v1/cases/{id}/close', { params: { ...id, header: { 'if-match': '"7"' } }, body: {} })],
  ]
  let position = BigInt(reported.position)
  let resolvedAsOf = ''
  for (const [index, [command, send]] of steps.entries()) {
    const answer = await accepted(command, 200, send())
    t.equal(answer.revision, String(index + 1), `${command}: revision ${index + 1}`)
    t.equal(answer.id, caseId)
    if (BigInt(answer.position) > position) position = BigInt(answer.position)
    if (command === 'resolve') {
      await new Promise((resolve) => setTimeout(resolve, 5))
      resolvedAsOf = new Date().toISOString()
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }
  const stale = await as(tokens.staff).POST('/v1/cases/{id}/reopen', { params: { ...id, header: { 'if-match': '"7"' } }, body: { reason: 'again' } })
  t.equal(stale.response.status, 409, 'a stale If-Match is refused')
  t.equal(stale.error?.code, 'WRONG_EXPECTED_REVISION')

  // An urgent case nobody answers; the clock moves past its 15-minute response target.
  const urgent = await accepted(
    'urgent report',
    201,
    as(tokens.resident).POST('/v1/cases', {
      body: {
        kind: 'repair',
        category: 'plumbing',
        title: 'Water pouring through the ceiling',
        description: 'Bathroom ceiling of 201 is leaking from the flat above',
        channel: 'hotline',
        priority: 'urgent',
        location: { building: 'B3', unit: '201' },
      },
    }),
  )
  const breachedCaseId = urgent.id
  const listed = await as(tokens.staff).GET('/v1/cases/{id}', { params: { path: { id: breachedCaseId }, query: { waitFor: urgent.position } } })
  t.match(listed.data, { status: 'reported', escalationLevel: 0, overdue: false }, 'projected, on time so far')
  clock.advance(20 * 60_000)
  const deadline = Date.now() + (options.slaTimeoutMs ?? 20_000)
  let entries: Array<{ type: string; position: string; at: string; actor: { id: string } }> = []
  for (;;) {
    const timeline = await as(tokens.staff).GET('/v1/cases/{id}/timeline', { params: { path: { id: breachedCaseId } } })
    entries = timeline.data?.entries ?? []
    if (entries.some((e) => e.type === 'CaseEscalated') || Date.now() > deadline) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.same(entries.map((e) => e.type), ['CaseReported', 'ResponseOverdue', 'CaseEscalated'], 'the SLA worker recorded the breach and escalated')
  t.same(entries.slice(1).map((e) => e.actor.id), ['system:sla', 'system:sla'])
  t.equal(entries[1]?.at, clock.now().toISOString(), "at the moved clock's time")
  for (const entry of entries) if (BigInt(entry.position) > position) position = BigInt(entry.position)

  return { tokens, caseId, breachedCaseId, position: position.toString(), resolvedAsOf }
}

/** What the loop reads of a command's answer (the generated client's result, narrowed to what it checks). */
interface CommandResult {
  data?: { id: string; revision: string; position: string }
  error?: Problem
  response: Response
}

// ---------------------------------------------------------------------------------------------------------------
// Reading it all back

/** The answers of every case query, bodies only (headers such as `X-Projection-Position` move on their own). */
export type Answers = Record<string, { status: number; body: unknown }>

/**
 * Every query of issue 4 about the loop, each checked for what happened, the bodies returned so a second read (after
 * `cli rebuild --all`, say) can be compared with the first.
 */
export async function readEverything(t: Test, client: HttpClient, loop: ClosedLoop): Promise<Answers> {
  const { tokens, caseId, breachedCaseId, position } = loop
  const answers: Answers = {}
  const as = (token: string) => client.as(token)
  const waitFor = position
  /** One query's answer, its status and headers checked; every query reads at the loop's position. */
  const read = async <Data>(name: string, call: Promise<{ data?: Data; error?: Problem; response: Response }>): Promise<Data> => {
    const { data, error, response } = await call
    const expected = name.endsWith('forbidden') ? 403 : name.endsWith('hidden') ? 404 : 200
    t.equal(response.status, expected, `${name}: status`)
    t.notOk(response.headers.get('x-projection-stale'), `${name}: the read models had reached the loop`)
    if (expected === 200) t.match(response.headers.get('x-projection-position'), /^\d+$/)
    else t.equal(error?.status, expected, `${name}: a problem of that status`)
    answers[name] = { status: response.status, body: data ?? error }
    return data as Data
  }
  const path = { id: caseId }

  // GET /v1/cases — filters, and who sees what.
  const list = (token: string, query: Record<string, string> = {}) => as(token).GET('/v1/cases', { params: { query: { ...query, waitFor } } })
  const closed = await read('list closed', list(tokens.staff, { status: 'closed', category: 'lift', building: 'B3' }))
  t.same(closed.cases.map((c) => c.id), [caseId], 'the closed lift case, filtered by status, category and building')
  t.match(closed.cases[0], { status: 'closed', priority: 'high', assigneeId: TECHNICIAN_ID, rating: 5, reviewed: true, escalationLevel: 0 })
  const overdue = await read('list overdue', as(tokens.staff).GET('/v1/cases', { params: { query: { overdue: 'true', waitFor } } }))
  t.same(overdue.cases.map((c) => c.id), [breachedCaseId], 'overdue: the unanswered urgent case only')
  t.match(overdue.cases[0], { escalationLevel: 1, overdue: true })
  const byAssignee = await read('list by assignee', list(tokens.technician, { assigneeId: TECHNICIAN_ID }))
  t.same(byAssignee.cases.map((c) => c.id), [caseId], 'the technician sees the case assigned to them')
  const own = await read('list as resident', list(tokens.resident))
  t.same(own.cases.map((c) => c.id).sort(), [caseId, breachedCaseId].sort(), 'a resident lists their own cases')
  const others = await read('list as another resident', list(tokens.otherResident))
  t.same(others.cases, [], 'and another resident none of them')
  await read('list as committee forbidden', list(tokens.committee))

  // GET /v1/cases/:id
  const caseAs = (token: string) => as(token).GET('/v1/cases/{id}', { params: { path, query: { waitFor } } })
  const detail = await read('case', caseAs(tokens.staff))
  t.match(detail, {
    id: caseId, status: 'closed', revision: '8', resolution: 'Door sensor replaced and tested',
    followUp: { rating: 5, method: 'phone' }, review: { rootCause: 'Worn sensor', typical: false }, noteCount: 2,
  })
  // The contact is opened at query time for those who call back (DESIGN §7); the read model holds its envelope.
  t.same(detail.reporter, { name: '王女士', phone: '138 0000 0000', subjectId: 'resident-closed-loop' }, 'staff see whom to call')
  const audited = await read('case as auditor', caseAs(tokens.auditor))
  t.same(audited.reporter, { subjectId: 'resident-closed-loop', sealed: true }, 'an auditor sees whose contact it is, not the contact')
  t.notMatch(JSON.stringify(audited), /王女士|138 0000/, "no personal data in the auditor's answer")
  const residentDetail = await read('case as resident', caseAs(tokens.resident))
  t.equal(residentDetail.review, undefined, 'a resident does not see the review findings')
  await read('case as another resident hidden', caseAs(tokens.otherResident))

  // GET /v1/cases/:id/timeline
  const loopTypes = ['CaseReported', 'CaseAcknowledged', 'CaseAssigned', 'CaseNoteAdded', 'CaseNoteAdded', 'CaseResolved', 'CaseFollowedUp', 'CaseReviewed', 'CaseClosed']
  const timelineAs = (token: string) => as(token).GET('/v1/cases/{id}/timeline', { params: { path, query: { waitFor } } })
  const timeline = await read('timeline', timelineAs(tokens.staff))
  t.same(timeline.entries.map((e) => e.type), loopTypes, 'one entry per event, in order')
  t.same(timeline.entries.map((e) => e.revision), loopTypes.map((_, i) => String(i)))
  const publicTimeline = await read('timeline as resident', timelineAs(tokens.resident))
  t.same(
    publicTimeline.entries.map((e) => e.type),
    loopTypes.filter((_, i) => i !== 4 && i !== 7),
    'a resident sees public entries only (not the internal note, not the review)',
  )
  t.ok(publicTimeline.entries.every((e) => e.visibility === 'public'))

  // GET /v1/cases/:id/history — folded from the event store.
  const history = (query: { revision?: string; asOf?: string }) =>
    as(tokens.auditor).GET('/v1/cases/{id}/history', { params: { path, query: { ...query, waitFor } } })
  const afterAssign = await read('history at revision 2', history({ revision: '2' }))
  t.match(afterAssign, { revision: '2', state: { status: 'in_progress', assigneeId: TECHNICIAN_ID } })
  const asOf = await read('history as of the resolution', history({ asOf: loop.resolvedAsOf }))
  t.match(asOf, { revision: '5', asOf: loop.resolvedAsOf, state: { status: 'resolved' } })

  // GET /v1/cases/:id/events — the raw log, hash-chained.
  const eventsAs = (token: string) => as(token).GET('/v1/cases/{id}/events', { params: { path, query: { waitFor } } })
  const { events } = await read('events', eventsAs(tokens.auditor))
  t.same(events.map((e) => e.type), loopTypes)
  const chain = events.map((e) => e.metadata as { prevHash: string; hash: string })
  t.ok(
    events.every((e, i) => e.revision === String(i) && /^\d+$/.test(e.position) && (i === 0 || chain[i]!.prevHash === chain[i - 1]!.hash)),
    'revisions and positions as decimal strings, each event chained to the one before',
  )
  await read('events as staff forbidden', eventsAs(tokens.staff))

  // GET /v1/sla/overdue — at the moved clock.
  const sla = await read('sla overdue', as(tokens.staff).GET('/v1/sla/overdue', { params: { query: { waitFor } } }))
  t.same(sla.cases.map((c) => c.caseId), [breachedCaseId])
  t.match(sla.cases[0], { escalationLevel: 1, clocks: { response: { overdue: true, overdueRecorded: true } } })
  t.ok((sla.cases[0]?.clocks.response.remainingMinutes ?? 0) <= -4, 'minutes past the response target')

  // GET /v1/metrics/cases — figures, no personal data: committee members may read them.
  const figures = await read('metrics by category', as(tokens.committee).GET('/v1/metrics/cases', { params: { query: { groupBy: 'category', waitFor } } }))
  const lift = figures.groups.find((g) => g.category === 'lift')
  const plumbing = figures.groups.find((g) => g.category === 'plumbing')
  t.match(lift, { cases: 1, byStatus: { closed: 1 }, byKind: { repair: 1 }, averageSatisfaction: 5, reopenRate: 0, firstTimeFixRate: 1, slaTargetsMet: 1 })
  t.match(plumbing, { cases: 1, byStatus: { reported: 1 } })
  t.notMatch(JSON.stringify(figures), new RegExp(`${caseId}|resident-closed-loop`), 'no case ids, no people')

  return answers
}
