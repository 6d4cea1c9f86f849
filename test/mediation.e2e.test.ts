import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { buildServer as buildCommandApi } from '@pc/command-api'
import { buildServer as buildQueryApi } from '@pc/query-api'
import { fulfilmentOverdueWatcher, mediationDeadlineWatcher } from '@pc/contexts'
import { startProjector } from '@pc/projector'
import { loadConfig, openRuntime, signToken, type Role } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'

/**
 * Mediation of a neighbour dispute end to end over HTTP (issue 5): both APIs and the projector (read models and the
 * SLA worker) on one real PostgreSQL, as `pnpm start` runs them. A noise dispute is reported, mediated through two
 * sessions, statements, a rejected and an accepted proposal, concluded with the agreement, its fulfilment checked,
 * and the case resolved, followed up, reviewed and closed. Then every revision's history, the timeline, the
 * mediation view per reader, and the SLA worker's watchers.
 */

const SECRET = 'mediation-e2e-secret-long-enough-for-hs256'
const NAMES = { complainant: '王秀英', respondent: '李建国' }
const DAY_MS = 86_400_000

async function setup(t: Test) {
  const database = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-mediation-e2e-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({ DATABASE_URL: database.url, DATA_DIR: dataDir, JWT_SECRET: SECRET, LOG_LEVEL: 'silent' })
  const runtime = await openRuntime(config)
  t.teardown(() => runtime.close())
  const commands = await buildCommandApi(config, runtime)
  t.teardown(() => commands.close())
  const queries = await buildQueryApi(config, runtime)
  t.teardown(() => queries.close())
  const clock = { now: new Date() }
  const projector = await startProjector(runtime, {
    leasePollMs: 50,
    retryDelayMs: 50,
    // The worker's own rounds are an hour apart: this test runs them (`tick`) with the clock where it wants it.
    sla: { now: () => clock.now, intervalMs: 3_600_000, watchers: [mediationDeadlineWatcher, fulfilmentOverdueWatcher] },
  })
  t.teardown(() => projector.stop())

  const tokens = new Map<string, string>()
  const token = async (sub: string, roles: Role[]) => {
    const key = `${sub}:${roles.join()}`
    if (!tokens.has(key)) tokens.set(key, await signToken(SECRET, { sub, roles }))
    return tokens.get(key)!
  }
  const people = {
    staff: () => token('staff-1', ['staff']),
    manager: () => token('manager-1', ['manager']),
    committee: () => token('committee-1', ['committee']),
    mediator: () => token('mediator-1', ['mediator']),
    complainant: () => token('resident-1', ['resident']),
    respondent: () => token('resident-3', ['resident']),
    neighbour: () => token('resident-9', ['resident']),
    bystander: () => token('resident-2', ['resident']),
  }
  type Who = keyof typeof people
  let position = '0'
  const post = async (url: string, payload: unknown, as: Who = 'mediator') => {
    const res = await commands.inject({ method: 'POST', url, headers: { authorization: `Bearer ${await people[as]()}` }, payload: payload as object })
    if (res.statusCode === 200 || res.statusCode === 201) position = res.json().position
    return res
  }
  /** A query that waits for the last command's events to be projected. */
  const get = async (url: string, as: Who = 'staff') =>
    queries.inject({
      method: 'GET',
      url: `${url}${url.includes('?') ? '&' : '?'}waitFor=${position}`,
      headers: { authorization: `Bearer ${await people[as]()}` },
    })
  /** Makes the next queries wait for the event at `at` (one the SLA worker appended). */
  const waitFor = (at: bigint) => {
    position = at.toString()
  }
  return { runtime, projector, clock, post, get, waitFor }
}

t.test('a noise dispute mediated to agreement, then resolved, followed up, reviewed and closed', async (t) => {
  const { runtime, projector, clock, post, get, waitFor } = await setup(t)
  const ok = async (res: ReturnType<typeof post>, label: string) => {
    const answered = await res
    t.equal(answered.statusCode, answered.statusCode === 201 ? 201 : 200, `${label}: ${answered.body}`)
    if (answered.statusCode >= 300) throw new Error(`${label} failed`)
    return answered.json()
  }
  const inDays = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString()

  // Report (the complainant calls the hotline) and take it on.
  const { id } = await ok(
    post(
      '/v1/cases',
      {
        kind: 'dispute',
        category: 'noise',
        title: 'Washing machine upstairs after 23:00',
        description: 'The flat above runs its washing machine late at night.',
        channel: 'hotline',
        location: { building: '3', unit: '1' },
        reporterId: 'resident-1',
      },
      'staff',
    ),
    'report',
  )
  const c = `/v1/cases/${id}`
  await ok(post(`${c}/assign`, { assigneeId: 'staff-1', team: 'community' }, 'staff'), 'assign')

  const { mediationId } = await ok(
    post(`${c}/mediation`, {
      mediatorId: 'mediator-1',
      parties: [
        { partyId: 'resident-1', role: 'complainant', name: NAMES.complainant, unit: '3-1-201' },
        { partyId: 'resident-3', role: 'respondent', name: NAMES.respondent, unit: '3-1-301' },
      ],
      rightsNoticeGiven: true,
    }),
    'open mediation',
  )
  const m = `${c}/mediation`
  const before = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString()
  await ok(post(`${m}/sessions`, { heldAt: before(60), mode: 'joint', attendees: ['resident-1', 'resident-3'], summary: 'Both sides heard in the office.' }), 'joint session')
  await ok(post(`${m}/sessions`, { heldAt: before(30), mode: 'private', attendees: ['resident-3'], summary: 'He works nights; worried about cost.' }), 'private session')
  await ok(post(`${m}/statements`, { partyId: 'resident-1', statement: 'I cannot sleep before midnight.', sessionId: 'session-1' }), 'statement 1')
  await ok(post(`${m}/statements`, { partyId: 'resident-3', statement: 'Only cheap water after 23:00.', sessionId: 'session-2' }), 'statement 2')

  const firstDue = inDays(7)
  const first = await ok(
    post(`${m}/agreement`, {
      facts: 'The washing machine in 3-1-301 runs after 23:00 most nights.',
      disputedPoints: ['noise after 23:00'],
      responsibilities: [{ partyId: 'resident-3', text: 'keeps quiet hours' }],
      terms: [{ partyId: 'resident-3', description: 'no washing after 22:00', dueAt: firstDue }],
    }),
    'first proposal',
  )
  await ok(post(`${m}/agreement/${first.agreementId}/responses`, { partyId: 'resident-3', accept: false, comment: 'I need a later time' }, 'respondent'), 'rejection')
  const secondDue = inDays(14)
  const second = await ok(
    post(`${m}/agreement`, {
      facts: 'The washing machine in 3-1-301 runs after 23:00 most nights.',
      disputedPoints: ['noise after 23:00', 'the cost of a mat'],
      responsibilities: [
        { partyId: 'resident-3', text: 'keeps quiet hours' },
        { partyId: 'resident-1', text: 'pays half the mat' },
      ],
      terms: [
        { partyId: 'resident-3', description: 'fit an anti-vibration mat', dueAt: secondDue },
        { partyId: 'resident-3', description: 'no washing after 22:30', dueAt: secondDue },
      ],
    }),
    'second proposal',
  )
  t.not(second.agreementId, first.agreementId)
  await ok(post(`${m}/agreement/${second.agreementId}/responses`, { partyId: 'resident-1', accept: true }, 'complainant'), 'complainant accepts')
  await ok(post(`${m}/agreement/${second.agreementId}/responses`, { partyId: 'resident-3', accept: true, comment: '同意' }, 'respondent'), 'respondent accepts')
  t.equal((await post(`${c}/resolve`, { resolution: 'too early' }, 'staff')).statusCode, 422, 'no resolution before the mediation concludes')
  await ok(post(`${m}/conclude`, { outcome: 'agreement', note: 'Both signed.' }), 'conclude')
  await ok(post(`${m}/fulfilment`, { agreementId: second.agreementId, termIndex: 0, fulfilled: true, note: 'Mat seen in place.' }), 'fulfilment')
  await ok(post(`${c}/resolve`, { resolution: 'Settled by mediation; mat fitted.' }, 'staff'), 'resolve')
  await ok(post(`${c}/follow-up`, { rating: 5, method: 'phone', comment: 'Quiet now' }, 'staff'), 'follow-up')
  await ok(post(`${c}/review`, { rootCause: 'no quiet-hours rule', lessons: 'mediate early', preventiveActions: ['post quiet hours'], typical: true }, 'manager'), 'review')
  const closed = await ok(post(`${c}/close`, {}, 'staff'), 'close')

  // The stream holds the whole dispute, in order.
  const stream: Array<{ type: string; revision: bigint }> = []
  for await (const event of runtime.eventStore.readStream(`case-${id}`)) stream.push(event)
  const expected = [
    'CaseReported', 'CaseAcknowledged', 'CaseAssigned', 'MediationOpened', 'MediationSessionHeld', 'MediationSessionHeld',
    'MediationStatementRecorded', 'MediationStatementRecorded', 'AgreementProposed', 'AgreementRejected', 'AgreementProposed',
    'AgreementAccepted', 'AgreementAccepted', 'AgreementReached', 'MediationConcluded', 'FulfilmentChecked', 'CaseResolved',
    'CaseFollowedUp', 'CaseReviewed', 'CaseClosed',
  ]
  t.same(stream.map((e) => e.type), expected)
  t.equal(closed.revision, String(expected.length - 1))

  t.test('history?revision=n shows the state at each step', async (t) => {
    const statusAt: Record<string, string> = {
      CaseReported: 'reported',
      CaseAcknowledged: 'acknowledged',
      CaseAssigned: 'in_progress',
      CaseResolved: 'resolved',
      CaseFollowedUp: 'followed_up',
      CaseClosed: 'closed',
    }
    let status = 'reported'
    let mediation: string | null = null
    for (const [n, type] of expected.entries()) {
      const res = await get(`${c}/history?revision=${n}`)
      t.equal(res.statusCode, 200, `revision ${n}`)
      const { revision, state } = res.json()
      status = statusAt[type] ?? status
      if (type === 'MediationOpened') mediation = 'open'
      if (type === 'MediationConcluded') mediation = 'concluded'
      t.equal(revision, String(n))
      t.equal(state.status, status, `${type}: the case is ${status}`)
      t.equal(state.mediation?.status ?? null, mediation, `${type}: the mediation is ${mediation}`)
      if (type === 'AgreementRejected') t.match(state.mediation.agreements, [{ status: 'rejected' }])
      if (type === 'AgreementReached') t.match(state.mediation.agreements, [{ status: 'rejected' }, { agreementId: second.agreementId, status: 'reached' }])
      t.notMatch(JSON.stringify(state), /王秀英|李建国/, 'no names in the replayed state')
    }
  })

  t.test('the timeline lists all of it, in order; residents see the public steps', async (t) => {
    const staff = await get(`${c}/timeline`)
    t.equal(staff.statusCode, 200)
    const entries = staff.json().entries as Array<{ type: string; summary: string; visibility: string; detail: string | null }>
    t.same(entries.map((e) => e.type), expected)
    t.match(entries[3], { summary: /^Mediation opened by mediator-1 \(1 complainant, 1 respondent; rights notice given/, visibility: 'public' })
    t.match(entries[5], { summary: /^Private mediation session session-2/, visibility: 'internal', detail: /works nights/ })
    t.match(entries[13], { summary: 'Agreement reached: every party accepted', visibility: 'public' })
    t.match(entries[14], { summary: 'Mediation concluded: agreement', detail: 'Both signed.' })
    t.notMatch(staff.body, /王秀英|李建国/, 'no names in the timeline')

    const resident = await get(`${c}/timeline`, 'complainant')
    t.equal(resident.statusCode, 200)
    const seen = (resident.json().entries as Array<{ type: string; summary: string }>).map((e) => e.summary)
    t.notOk(seen.some((s) => /Private mediation session|at session-2/.test(s)), 'the private session and what was said in it stay internal')
    t.ok(seen.some((s) => /^Joint mediation session session-1/.test(s)))
    t.ok(seen.includes('resident-3 rejected the proposed agreement'))
  })

  t.test('GET /v1/cases/:id/mediation per reader', async (t) => {
    const staff = await get(m)
    t.equal(staff.statusCode, 200, staff.body)
    const view = staff.json()
    t.match(view, {
      caseId: id,
      mediationId,
      status: 'concluded',
      mediatorId: 'mediator-1',
      parties: [
        // Sealed in the event; opened at query time for the staff side and the parties (DESIGN §7).
        { partyId: 'resident-1', role: 'complainant', contact: { subjectId: 'resident-1', name: NAMES.complainant }, unit: '3-1-201' },
        { partyId: 'resident-3', role: 'respondent', contact: { subjectId: 'resident-3', name: NAMES.respondent } },
      ],
      sessions: [{ sessionId: 'session-1', mode: 'joint' }, { sessionId: 'session-2', mode: 'private', summary: /works nights/ }],
      outcome: { outcome: 'agreement', referredTo: null, note: 'Both signed.' },
      revision: '15',
    })
    t.equal(view.statements.length, 2)
    t.match(view.agreements, [
      {
        agreementId: first.agreementId,
        status: 'rejected',
        responses: [
          { partyId: 'resident-1', answer: 'pending' },
          { partyId: 'resident-3', answer: 'rejected', comment: 'I need a later time', recordedBy: 'party' },
        ],
      },
      {
        agreementId: second.agreementId,
        status: 'reached',
        responses: [{ answer: 'accepted', recordedBy: 'party' }, { answer: 'accepted', comment: '同意' }],
        terms: [
          { termIndex: 0, fulfilled: true, onTime: true, note: 'Mat seen in place.', dueAt: secondDue, overdue: false },
          { termIndex: 1, fulfilled: null, overdue: false },
        ],
      },
    ])

    const respondent = await get(m, 'respondent')
    t.equal(respondent.statusCode, 200, 'a party reads it')
    t.match(respondent.json(), { parties: [{ contact: { name: NAMES.complainant } }, { contact: { name: NAMES.respondent } }], sessions: [{ summary: /office/ }, { summary: null }] })
    t.same(respondent.json().statements.map((s: { sessionId: string }) => s.sessionId), ['session-1'], 'nothing said in private')
    t.equal((await get(m, 'bystander')).statusCode, 404, 'a resident outside the dispute learns nothing')
    t.equal((await get(`/v1/cases/${id}/mediation`, 'manager')).statusCode, 200)
  })

  t.test('a reporter who is not a party reads it without names; the SLA worker records deadline and overdue term', async (t) => {
    const { id: other } = await ok(
      post(
        '/v1/cases',
        {
          kind: 'dispute',
          category: 'parking',
          title: 'Blocked parking space',
          description: 'A car blocks space 12.',
          channel: 'app',
          location: { building: '5' },
        },
        'neighbour',
      ),
      'report as the neighbour',
    )
    await ok(post(`/v1/cases/${other}/assign`, { assigneeId: 'staff-1' }, 'staff'), 'assign')
    await ok(
      post(`/v1/cases/${other}/mediation`, {
        mediatorId: 'mediator-1',
        parties: [
          { partyId: 'resident-1', role: 'complainant', name: NAMES.complainant },
          { partyId: 'resident-3', role: 'respondent', name: NAMES.respondent },
        ],
        rightsNoticeGiven: true,
        deadlineDays: 20,
      }),
      'open',
    )
    const outsider = await get(`/v1/cases/${other}/mediation`, 'neighbour')
    t.equal(outsider.statusCode, 200, outsider.body)
    t.same(
      outsider.json().parties.map((p: { contact: unknown }) => p.contact),
      [{ subjectId: 'resident-1', sealed: true }, { subjectId: 'resident-3', sealed: true }],
      'whose names there are, not the names',
    )
    t.notMatch(outsider.body, /王秀英|李建国/)

    // 15 days on, the agreement's second term (due in 14) was never found fulfilled; 21 days on, the second
    // mediation (20 days) is past its deadline.
    const recordedBy = async (days: number) => {
      clock.now = new Date(Date.now() + days * DAY_MS)
      const round = await projector.sla!.tick()
      t.equal(round.failed, 0)
      return round.sent.filter((s) => s.appended > 0)
    }
    const overdue = await recordedBy(15)
    t.same(overdue.map((s) => [s.watcher, s.streamId]), [['fulfilment-overdue', `case-${id}`]])
    const passed = await recordedBy(21)
    t.same(passed.map((s) => [s.watcher, s.streamId]), [['mediation-deadline', `case-${other}`]])
    waitFor(passed[0]!.position)
    t.same(await recordedBy(22), [], 'each breach once')

    const view = (await get(m)).json()
    t.match(view.agreements[1].terms, [{ overdue: false }, { overdue: true }])
    const deadline = (await get(`/v1/cases/${other}/mediation`)).json()
    t.equal(deadline.deadlinePassed, true)
    const timeline = (await get(`${c}/timeline`)).json().entries
    t.match(timeline.at(-1), { type: 'FulfilmentOverdue', visibility: 'internal', actor: { id: 'system:sla' }, summary: /^Term 2 of the agreement overdue/ })

    // The figures: one mediation concluded with agreement (within the hour), one still open.
    const figures = await get('/v1/metrics/mediation', 'committee')
    t.equal(figures.statusCode, 200, figures.body)
    t.match(figures.json(), { open: 1, concluded: 1, byOutcome: { agreement: 1, no_agreement: 0, withdrawn: 0, referred: 0 } })
    t.ok(figures.json().medianDaysToConclusion > 0 && figures.json().medianDaysToConclusion < 1 / 24)
    t.match((await get('/v1/metrics/mediation?from=2000-01&to=2000-12', 'committee')).json(), { open: 0, concluded: 0, medianDaysToConclusion: null })
    t.equal((await get('/v1/metrics/mediation', 'bystander')).statusCode, 403)
  })
})
