/**
 * The closed loop of DESIGN §1 (warn → respond → resolve → review) driven over HTTP, and every case query read
 * back. One implementation for every event-store adapter: `closed-loop.e2e.test.ts` runs it on PostgreSQL, the
 * EventStoreDB test on its gRPC stand-in.
 *
 * @example
 * const client = httpClient(baseUrl) // or httpClient(app) for inject
 * const loop = await runClosedLoop(t, client, { tokens: await closedLoopTokens(secret), clock })
 * const answers = await readEverything(t, client, loop)
 */
import type { Test } from 'tap'
import { signToken } from '@pc/platform'

// ---------------------------------------------------------------------------------------------------------------
// Client

export interface Answer<Body = unknown> {
  status: number
  headers: Record<string, string | undefined>
  body: Body
}

export interface HttpClient {
  request(method: 'GET' | 'POST', path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Answer>
}

/** The answer shapes the loop reads (DESIGN §5); only the fields it looks at. */
interface CommandAnswer {
  id: string
  revision: string
  position: string
  code?: string
}
interface CaseView {
  id: string
  status: string
  review?: unknown
  reporter?: unknown
}
interface TimelineView {
  entries: Array<{ type: string; revision: string; position: string; visibility: string; at: string; actor: { id: string } }>
}
interface RawEventsView {
  events: Array<{ type: string; revision: string; position: string; metadata: { prevHash: string; hash: string } }>
}
interface OverdueView {
  cases: Array<{ caseId: string; clocks: { response: { remainingMinutes: number } } }>
}
interface FiguresView {
  groups: Array<{ category: string | null }>
}

/** Something Fastify-like to `inject` into (no socket), for callers that have the app rather than a URL. */
export interface Injectable {
  inject(options: {
    method: 'GET' | 'POST'
    url: string
    headers: Record<string, string>
    payload?: string
  }): Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }>
}

/** A client over real HTTP (a base URL such as `http://127.0.0.1:3000`) or over `app.inject`. */
export function httpClient(target: string | Injectable): HttpClient {
  return {
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers }
      if (options.token) headers.authorization = `Bearer ${options.token}`
      if (options.body !== undefined) headers['content-type'] = 'application/json'
      const payload = options.body === undefined ? undefined : JSON.stringify(options.body)
      if (typeof target === 'string') {
        const res = await fetch(`${target}${path}`, { method, headers, ...(payload !== undefined && { body: payload }) })
        const text = await res.text()
        return { status: res.status, headers: Object.fromEntries(res.headers), body: text === '' ? undefined : JSON.parse(text) }
      }
      const res = await target.inject({ method, url: path, headers, ...(payload !== undefined && { payload }) })
      const flat = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, v === undefined ? undefined : String(v)]))
      return { status: res.statusCode, headers: flat, body: res.body === '' ? undefined : JSON.parse(res.body) }
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
  const post = async (path: string, token: string, body: unknown, headers?: Record<string, string>) => {
    const res = await client.request('POST', path, { token, body, ...(headers && { headers }) })
    if (res.status >= 300) t.fail(`POST ${path} answered ${res.status}`, { body: res.body })
    return res as Answer<CommandAnswer>
  }

  const reported = await post('/v1/cases', tokens.resident, {
    kind: 'repair',
    category: 'lift',
    title: 'Lift door does not close',
    description: 'The door of lift 2 keeps reopening on every floor',
    channel: 'app',
    priority: 'high',
    location: { building: 'B3', unit: '201' },
    reporter: { name: '王女士', phone: '138 0000 0000' },
  })
  t.equal(reported.status, 201, 'report: 201')
  t.match(reported.body, { id: String, revision: '0', position: /^\d+$/ })
  const caseId: string = reported.body.id
  const on = (command: string) => `/v1/cases/${caseId}/${command}`

  const steps: Array<[string, string, unknown, Record<string, string>?]> = [
    ['acknowledge', tokens.staff, {}],
    ['assign', tokens.staff, { assigneeId: TECHNICIAN_ID, team: 'lifts' }],
    ['note', tokens.technician, { body: 'Door sensor ordered', visibility: 'public' }],
    ['note', tokens.staff, { body: 'Supplier slow last time; chase on Friday', visibility: 'internal' }],
    ['resolve', tokens.technician, { resolution: 'Door sensor replaced and tested' }],
    ['follow-up', tokens.staff, { rating: 5, comment: 'Works now', method: 'phone' }],
    ['review', tokens.manager, { rootCause: 'Worn sensor', lessons: 'Check sensors at the monthly service', preventiveActions: ['Add sensors to the service checklist'], typical: false }],
    // The client pins the revision it decided on.
    ['close', tokens.staff, {}, { 'if-match': '"7"' }],
  ]
  let position = BigInt(reported.body.position)
  let resolvedAsOf = ''
  for (const [index, [command, token, body, headers]] of steps.entries()) {
    const res = await post(on(command), token, body, headers)
    t.equal(res.status, 200, `${command}: 200`)
    t.equal(res.body?.revision, String(index + 1), `${command}: revision ${index + 1}`)
    t.equal(res.body?.id, caseId)
    if (BigInt(res.body?.position ?? -1) > position) position = BigInt(res.body.position)
    if (command === 'resolve') {
      await new Promise((resolve) => setTimeout(resolve, 5))
      resolvedAsOf = new Date().toISOString()
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }
  const stale = await client.request('POST', on('reopen'), { token: tokens.staff, body: { reason: 'again' }, headers: { 'if-match': '"7"' } })
  t.equal(stale.status, 409, 'a stale If-Match is refused')
  t.equal((stale.body as CommandAnswer | undefined)?.code, 'WRONG_EXPECTED_REVISION')

  // An urgent case nobody answers; the clock moves past its 15-minute response target.
  const urgent = await post('/v1/cases', tokens.resident, {
    kind: 'repair',
    category: 'plumbing',
    title: 'Water pouring through the ceiling',
    description: 'Bathroom ceiling of 201 is leaking from the flat above',
    channel: 'hotline',
    priority: 'urgent',
    location: { building: 'B3', unit: '201' },
  })
  t.equal(urgent.status, 201)
  const breachedCaseId: string = urgent.body.id
  const listed = await client.request('GET', `/v1/cases/${breachedCaseId}?waitFor=${urgent.body.position}`, { token: tokens.staff })
  t.match(listed.body, { status: 'reported', escalationLevel: 0, overdue: false }, 'projected, on time so far')
  clock.advance(20 * 60_000)
  const deadline = Date.now() + (options.slaTimeoutMs ?? 20_000)
  let entries: TimelineView['entries'] = []
  for (;;) {
    const timeline = await client.request('GET', `/v1/cases/${breachedCaseId}/timeline`, { token: tokens.staff })
    entries = (timeline.body as TimelineView | undefined)?.entries ?? []
    if (entries.some((e) => e.type === 'CaseEscalated') || Date.now() > deadline) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.same(entries.map((e) => e.type), ['CaseReported', 'ResponseOverdue', 'CaseEscalated'], 'the SLA worker recorded the breach and escalated')
  t.same(entries.slice(1).map((e) => e.actor.id), ['system:sla', 'system:sla'])
  t.equal(entries[1]?.at, clock.now().toISOString(), "at the moved clock's time")
  for (const entry of entries) if (BigInt(entry.position) > position) position = BigInt(entry.position)

  return { tokens, caseId, breachedCaseId, position: position.toString(), resolvedAsOf }
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
  const get = async <Body = unknown>(name: string, path: string, token: string): Promise<Body> => {
    const sep = path.includes('?') ? '&' : '?'
    const res = await client.request('GET', `${path}${sep}waitFor=${position}`, { token })
    t.equal(res.status, name.endsWith('forbidden') ? 403 : name.endsWith('hidden') ? 404 : 200, `${name}: status`)
    t.notOk(res.headers['x-projection-stale'], `${name}: the read models had reached the loop`)
    if (!name.endsWith('forbidden') && !name.endsWith('hidden')) t.match(res.headers['x-projection-position'], /^\d+$/)
    answers[name] = { status: res.status, body: res.body }
    return res.body as Body
  }

  // GET /v1/cases — filters, and who sees what.
  const closed = await get<{ cases: CaseView[] }>('list closed', '/v1/cases?status=closed&category=lift&building=B3', tokens.staff)
  t.same(closed.cases.map((c) => c.id), [caseId], 'the closed lift case, filtered by status, category and building')
  t.match(closed.cases[0], { status: 'closed', priority: 'high', assigneeId: TECHNICIAN_ID, rating: 5, reviewed: true, escalationLevel: 0 })
  const overdue = await get<{ cases: CaseView[] }>('list overdue', '/v1/cases?overdue=true', tokens.staff)
  t.same(overdue.cases.map((c) => c.id), [breachedCaseId], 'overdue: the unanswered urgent case only')
  t.match(overdue.cases[0], { escalationLevel: 1, overdue: true })
  const byAssignee = await get<{ cases: CaseView[] }>('list by assignee', `/v1/cases?assigneeId=${TECHNICIAN_ID}`, tokens.technician)
  t.same(byAssignee.cases.map((c) => c.id), [caseId], 'the technician sees the case assigned to them')
  const own = await get<{ cases: CaseView[] }>('list as resident', '/v1/cases', tokens.resident)
  t.same(own.cases.map((c) => c.id).sort(), [caseId, breachedCaseId].sort(), 'a resident lists their own cases')
  const others = await get<{ cases: CaseView[] }>('list as another resident', '/v1/cases', tokens.otherResident)
  t.same(others.cases, [], "and another resident none of them")
  await get('list as committee forbidden', '/v1/cases', tokens.committee)

  // GET /v1/cases/:id
  const detail = await get<CaseView>('case', `/v1/cases/${caseId}`, tokens.staff)
  t.match(detail, {
    id: caseId, status: 'closed', revision: '8', resolution: 'Door sensor replaced and tested',
    followUp: { rating: 5, method: 'phone' }, review: { rootCause: 'Worn sensor', typical: false }, noteCount: 2,
  })
  // The contact is opened at query time for those who call back (DESIGN §7); the read model holds its envelope.
  t.same(detail.reporter, { name: '王女士', phone: '138 0000 0000', subjectId: 'resident-closed-loop' }, 'staff see whom to call')
  const audited = await get<CaseView>('case as auditor', `/v1/cases/${caseId}`, tokens.auditor)
  t.same(audited.reporter, { subjectId: 'resident-closed-loop', sealed: true }, 'an auditor sees whose contact it is, not the contact')
  t.notMatch(JSON.stringify(audited), /王女士|138 0000/, 'no personal data in the auditor\'s answer')
  const residentDetail = await get<CaseView>('case as resident', `/v1/cases/${caseId}`, tokens.resident)
  t.equal(residentDetail.review, undefined, 'a resident does not see the review findings')
  await get('case as another resident hidden', `/v1/cases/${caseId}`, tokens.otherResident)

  // GET /v1/cases/:id/timeline
  const loopTypes = ['CaseReported', 'CaseAcknowledged', 'CaseAssigned', 'CaseNoteAdded', 'CaseNoteAdded', 'CaseResolved', 'CaseFollowedUp', 'CaseReviewed', 'CaseClosed']
  const timeline = await get<TimelineView>('timeline', `/v1/cases/${caseId}/timeline`, tokens.staff)
  t.same(timeline.entries.map((e) => e.type), loopTypes, 'one entry per event, in order')
  t.same(timeline.entries.map((e) => e.revision), loopTypes.map((_, i) => String(i)))
  const publicTimeline = await get<TimelineView>('timeline as resident', `/v1/cases/${caseId}/timeline`, tokens.resident)
  t.same(
    publicTimeline.entries.map((e) => e.type),
    loopTypes.filter((_, i) => i !== 4 && i !== 7),
    'a resident sees public entries only (not the internal note, not the review)',
  )
  t.ok(publicTimeline.entries.every((e) => e.visibility === 'public'))

  // GET /v1/cases/:id/history — folded from the event store.
  const afterAssign = await get('history at revision 2', `/v1/cases/${caseId}/history?revision=2`, tokens.auditor)
  t.match(afterAssign, { revision: '2', state: { status: 'in_progress', assigneeId: TECHNICIAN_ID } })
  const asOf = await get('history as of the resolution', `/v1/cases/${caseId}/history?asOf=${encodeURIComponent(loop.resolvedAsOf)}`, tokens.auditor)
  t.match(asOf, { revision: '5', asOf: loop.resolvedAsOf, state: { status: 'resolved' } })

  // GET /v1/cases/:id/events — the raw log, hash-chained.
  const { events } = await get<RawEventsView>('events', `/v1/cases/${caseId}/events`, tokens.auditor)
  t.same(events.map((e) => e.type), loopTypes)
  t.ok(
    events.every((e, i) => e.revision === String(i) && /^\d+$/.test(e.position) && (i === 0 || e.metadata.prevHash === events[i - 1]!.metadata.hash)),
    'revisions and positions as decimal strings, each event chained to the one before',
  )
  await get('events as staff forbidden', `/v1/cases/${caseId}/events`, tokens.staff)

  // GET /v1/sla/overdue — at the moved clock.
  const sla = await get<OverdueView>('sla overdue', '/v1/sla/overdue', tokens.staff)
  t.same(sla.cases.map((c) => c.caseId), [breachedCaseId])
  t.match(sla.cases[0], { escalationLevel: 1, clocks: { response: { overdue: true, overdueRecorded: true } } })
  t.ok((sla.cases[0]?.clocks.response.remainingMinutes ?? 0) <= -4, 'minutes past the response target')

  // GET /v1/metrics/cases — figures, no personal data: committee members may read them.
  const figures = await get<FiguresView>('metrics by category', '/v1/metrics/cases?groupBy=category', tokens.committee)
  const lift = figures.groups.find((g) => g.category === 'lift')
  const plumbing = figures.groups.find((g) => g.category === 'plumbing')
  t.match(lift, { cases: 1, byStatus: { closed: 1 }, byKind: { repair: 1 }, averageSatisfaction: 5, reopenRate: 0, firstTimeFixRate: 1, slaTargetsMet: 1 })
  t.match(plumbing, { cases: 1, byStatus: { reported: 1 } })
  t.notMatch(JSON.stringify(figures), new RegExp(`${caseId}|resident-closed-loop`), 'no case ids, no people')

  return answers
}
