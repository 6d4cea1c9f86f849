import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, loadConfig, openRuntime, signToken, type HttpServer, type Role, type Runtime } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'
import t, { type Test } from 'tap'
import { buildServer } from '../src/server.js'

/**
 * `POST /v1/cases/:id/mediation/…` (issue 5) through `inject`, one server and database for the file: every route
 * answers, validation names the field, access is the decider's (403, or 404 for a resident outside the dispute),
 * rules answer 422 with their name, the answers carry the new ids, and — with the logger at debug — no party's
 * name ever reaches a log line.
 */

const SECRET = 'mediation-test-secret-long-enough-for-hs256'
const NAMES = ['王秀英', '李建国']
const people = {
  boss: { sub: 'boss-1', roles: ['staff', 'manager'] as Role[] },
  staff: { sub: 'staff-1', roles: ['staff'] as Role[] },
  mediator: { sub: 'mediator-1', roles: ['mediator'] as Role[] },
  otherMediator: { sub: 'mediator-2', roles: ['mediator'] as Role[] },
  complainant: { sub: 'resident-1', roles: ['resident'] as Role[] },
  respondent: { sub: 'resident-3', roles: ['resident'] as Role[] },
  bystander: { sub: 'resident-2', roles: ['resident'] as Role[] },
}
type Who = keyof typeof people

type InjectResponse = Awaited<ReturnType<HttpServer['inject']>>

interface Api {
  app: HttpServer
  runtime: Runtime
  logs: string[]
  post(path: string, body: unknown, as?: Who, headers?: Record<string, string>): Promise<InjectResponse>
  /** The event types of a case stream, in order. */
  types(caseId: string): Promise<string[]>
}

async function setup(t: Test): Promise<Api> {
  const db = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-mediation-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const logs: string[] = []
  const config = loadConfig({ DATABASE_URL: db.url, DATA_DIR: dataDir, JWT_SECRET: SECRET, LOG_LEVEL: 'debug' })
  const runtime = await openRuntime(config, { logger: createLogger(config, { destination: { write: (line: string) => logs.push(line) } }) })
  t.teardown(() => runtime.close())
  const app = await buildServer(config, runtime)
  t.teardown(() => app.close())
  const tokens = new Map<Who, string>()
  return {
    app,
    runtime,
    logs,
    async post(path, body, as = 'mediator', headers = {}) {
      if (!tokens.has(as)) tokens.set(as, await signToken(SECRET, people[as]))
      return app.inject({
        method: 'POST',
        url: `/v1${path}`,
        headers: { authorization: `Bearer ${tokens.get(as)}`, ...headers },
        payload: body as object,
      })
    },
    async types(caseId) {
      const types: string[] = []
      for await (const event of runtime.eventStore.readStream(`case-${caseId}`)) types.push(event.type)
      return types
    },
  }
}

const reportBody = (kind = 'dispute') => ({
  kind,
  category: 'noise',
  title: 'Washing machine at night upstairs',
  description: 'The flat above runs its washing machine after 23:00.',
  channel: 'hotline',
  location: { building: '3', unit: '1' },
  reporterId: people.complainant.sub,
})

const openBody = (patch: Record<string, unknown> = {}) => ({
  mediatorId: people.mediator.sub,
  parties: [
    { partyId: people.complainant.sub, role: 'complainant', name: NAMES[0], unit: '3-1-201' },
    { partyId: people.respondent.sub, role: 'respondent', name: NAMES[1], unit: '3-1-301' },
  ],
  rightsNoticeGiven: true,
  ...patch,
})

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString()

const proposal = () => ({
  facts: 'The washing machine in 3-1-301 runs after 23:00.',
  disputedPoints: ['noise after 23:00'],
  responsibilities: [{ partyId: people.respondent.sub, text: 'keeps quiet hours' }],
  terms: [{ partyId: people.respondent.sub, description: 'fit an anti-vibration mat', dueAt: inDays(14) }],
})

/** A dispute reported (on the complainant's behalf) and assigned: in progress. */
async function disputeInProgress(api: Api, kind = 'dispute'): Promise<string> {
  const reported = await api.post('/cases', reportBody(kind), 'boss')
  if (reported.statusCode !== 201) throw new Error(reported.body)
  const id = reported.json().id as string
  const assigned = await api.post(`/cases/${id}/assign`, { assigneeId: 'staff-1' }, 'boss')
  if (assigned.statusCode !== 200) throw new Error(assigned.body)
  return id
}

function problem(t: Test, res: InjectResponse, status: number, expected: Record<string, unknown>) {
  t.equal(res.statusCode, status, res.body)
  t.match(res.json(), expected)
}

t.test('mediation routes', async (t) => {
  const api = await setup(t)

  t.test('POST /v1/cases/:id/mediation opens one and answers its mediationId', async (t) => {
    const id = await disputeInProgress(api)
    const parties = (role: string) => ({ parties: [{ partyId: 'a', role: 'complainant' }, { partyId: 'b', role }] })
    const refusals: Array<[Who, unknown, number, Record<string, unknown>]> = [
      ['mediator', openBody(parties('witness')), 400, { code: 'VALIDATION_FAILED', errors: [{ path: 'parties.1.role' }] }],
      [
        'mediator',
        openBody({ rightsNoticeGiven: false }),
        422,
        { code: 'RULE_VIOLATED', rule: 'RIGHTS_NOTICE_REQUIRED', errors: [{ path: 'rightsNoticeGiven' }] },
      ],
      ['mediator', openBody(parties('other')), 422, { rule: 'PARTIES_REQUIRED' }],
      ['staff', openBody(), 403, { code: 'FORBIDDEN' }],
      ['otherMediator', openBody(), 403, { code: 'FORBIDDEN' }],
      // No resident ever opens a mediation: refused on the role, whatever the case (and whatever the body).
      ['bystander', openBody(), 403, { code: 'FORBIDDEN' }],
      ['bystander', { parties: 'x' }, 403, { code: 'FORBIDDEN' }],
      ['staff', { parties: 'x' }, 403, { code: 'FORBIDDEN' }],
    ]
    for (const [as, body, status, expected] of refusals) problem(t, await api.post(`/cases/${id}/mediation`, body, as), status, expected)
    t.same(await api.types(id), ['CaseReported', 'CaseAcknowledged', 'CaseAssigned'], 'refused requests appended nothing')

    const opened = await api.post(`/cases/${id}/mediation`, openBody())
    t.equal(opened.statusCode, 200, opened.body)
    t.match(opened.json(), { id, revision: '3', position: /^\d+$/, mediationId: /^[0-9a-f-]{36}$/ })
    problem(t, await api.post(`/cases/${id}/mediation`, openBody()), 422, { rule: 'MEDIATION_ALREADY_OPEN' })

    const repair = await disputeInProgress(api, 'repair')
    problem(t, await api.post(`/cases/${repair}/mediation`, openBody()), 422, { rule: 'NOT_A_DISPUTE' })
  })

  t.test('the steps: sessions, statements, a proposal answered by the parties themselves, conclusion', async (t) => {
    const id = await disputeInProgress(api)
    await api.post(`/cases/${id}/mediation`, openBody())
    const base = `/cases/${id}/mediation`

    problem(t, await api.post(`${base}/agreement`, proposal()), 422, { rule: 'SESSION_REQUIRED' })
    problem(t, await api.post(`${base}/sessions`, { heldAt: 'yesterday', mode: 'joint', attendees: ['resident-1'], summary: 'x' }), 400, {
      errors: [{ path: 'heldAt' }],
    })
    const session = { heldAt: new Date().toISOString(), mode: 'joint', attendees: [people.complainant.sub, people.respondent.sub], summary: 'Both heard.' }
    t.equal((await api.post(`${base}/sessions`, session)).statusCode, 200)
    t.equal((await api.post(`${base}/statements`, { partyId: people.respondent.sub, statement: 'I work nights.', sessionId: 'session-1' })).statusCode, 200)
    problem(t, await api.post(`${base}/statements`, { partyId: people.respondent.sub, statement: 'x', sessionId: 'session-7' }), 422, { rule: 'UNKNOWN_SESSION' })

    // The agreementId comes back, and a replay under the same key answers it again without a second proposal.
    const body = proposal()
    const proposed = await api.post(`${base}/agreement`, body, 'mediator', { 'idempotency-key': 'proposal-1' })
    t.equal(proposed.statusCode, 200, proposed.body)
    const { agreementId } = proposed.json()
    t.match(agreementId, /^[0-9a-f-]{36}$/)
    const replayed = await api.post(`${base}/agreement`, body, 'mediator', { 'idempotency-key': 'proposal-1' })
    t.equal(replayed.headers['idempotent-replayed'], 'true')
    t.same(replayed.json(), proposed.json())
    t.equal((await api.types(id)).filter((type) => type === 'AgreementProposed').length, 1)

    const responses = `${base}/agreement/${agreementId}/responses`
    problem(t, await api.post(responses, { partyId: people.bystander.sub, accept: true }, 'bystander'), 404, { code: 'NOT_FOUND' })
    problem(t, await api.post(responses, { partyId: people.respondent.sub, accept: true }, 'complainant'), 403, { code: 'FORBIDDEN' })
    problem(t, await api.post(responses, { partyId: people.bystander.sub, accept: true }), 422, { rule: 'NOT_A_PARTY', errors: [{ path: 'partyId' }] })
    problem(t, await api.post(`${base}/agreement/6f2a1b3c-4d5e-4f6a-9b0c-1d2e3f4a5b6c/responses`, { partyId: people.respondent.sub, accept: true }), 404, {})
    problem(t, await api.post(`${base}/conclude`, { outcome: 'agreement' }), 422, { rule: 'AGREEMENT_NOT_REACHED' })
    problem(t, await api.post(`${base}/conclude`, { outcome: 'referred' }), 400, { errors: [{ path: 'referredTo' }] })
    problem(t, await api.post(`/cases/${id}/resolve`, { resolution: 'settled' }, 'boss'), 422, { rule: 'MEDIATION_NOT_CONCLUDED' })

    t.equal((await api.post(responses, { partyId: people.respondent.sub, accept: true, comment: '好的' }, 'respondent')).statusCode, 200)
    t.equal((await api.post(responses, { partyId: people.complainant.sub, accept: true })).statusCode, 200, 'recorded by the mediator')
    t.same((await api.types(id)).slice(-3), ['AgreementAccepted', 'AgreementAccepted', 'AgreementReached'])

    t.equal((await api.post(`${base}/extend`, { days: 10, reason: 'waiting for the mat' })).statusCode, 200)
    problem(t, await api.post(`${base}/extend`, { days: 5, reason: 'again' }), 422, { rule: 'ALREADY_EXTENDED' })
    t.equal((await api.post(`${base}/conclude`, { outcome: 'agreement', note: 'signed' })).statusCode, 200)
    t.equal((await api.post(`${base}/fulfilment`, { agreementId, termIndex: 0, fulfilled: true, note: 'mat fitted' })).statusCode, 200)
    problem(t, await api.post(`${base}/fulfilment`, { agreementId, termIndex: 3, fulfilled: true, note: 'x' }), 422, { rule: 'UNKNOWN_TERM' })
    t.equal((await api.post(`${base}/court-confirmation`, { requestedAt: new Date().toISOString(), court: 'Pudong People’s Court' })).statusCode, 200)
    const resolved = await api.post(`/cases/${id}/resolve`, { resolution: 'settled by mediation' }, 'boss')
    t.equal(resolved.statusCode, 200, 'the case routes fold the mediation events of the stream')
  })

  t.test('a party declines: the mediation ends, the dispute can be resolved', async (t) => {
    const id = await disputeInProgress(api)
    await api.post(`/cases/${id}/mediation`, openBody())
    problem(t, await api.post(`/cases/${id}/mediation/refusals`, { partyId: people.respondent.sub }, 'complainant'), 403, {})
    const refused = await api.post(`/cases/${id}/mediation/refusals`, { partyId: people.respondent.sub, reason: 'no' }, 'respondent')
    t.equal(refused.statusCode, 200, refused.body)
    t.same((await api.types(id)).slice(-2), ['MediationRefused', 'MediationConcluded'])
    t.equal((await api.post(`/cases/${id}/resolve`, { resolution: 'no mediation' }, 'boss')).statusCode, 200)
  })

  t.test('no party name in any log line', async (t) => {
    t.ok(api.logs.length > 20, `requests were logged (${api.logs.length} lines)`)
    for (const name of NAMES) t.notOk(api.logs.some((line) => line.includes(name)), `${name} is not logged`)
  })
})
