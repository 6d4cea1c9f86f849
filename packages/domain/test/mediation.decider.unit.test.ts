import t from 'tap'
import type * as Tap from 'tap'
import type { CaseStreamEvent } from '@pc/contracts'
import { MediationEventTypes } from '@pc/contracts'
import {
  caseDecider,
  caseEventCodec,
  ForbiddenError,
  NotFoundError,
  RuleViolationError,
} from '../src/index.js'
import type { CaseCommand, MediationCommand } from '../src/index.js'
import { actors, commandFor, thrown } from './support/case-fixtures.js'
import {
  AGREEMENT_1,
  AGREEMENT_2,
  agreementReached,
  conclude,
  courtConfirmation,
  daysAfter,
  disputeInProgress,
  extend,
  fulfilment,
  MEDIATION_ID,
  mediationWithSession,
  NAMES,
  open,
  people,
  propose,
  refusal,
  reportDispute,
  respond,
  session,
  statement,
  Story,
  watch,
} from './support/mediation-fixtures.js'
import { sealedForTest } from '@pc/testing/personal'

type Test = Tap.Test

const types = (events: readonly CaseStreamEvent[]) => events.map((e) => e.type)

/** Expects `command` to be refused now with `rule` (and `field`, when given); records nothing. */
function refused(t: Test, story: Story, command: CaseCommand | MediationCommand, rule: string, field?: string): void {
  const error = thrown(() => story.decide(command))
  t.ok(error instanceof RuleViolationError, `a rule violation (${String(error)})`)
  t.equal((error as RuleViolationError).rule, rule)
  if (field !== undefined) t.equal((error as RuleViolationError).field, field)
}

const isForbidden = (story: Story, command: CaseCommand | MediationCommand) => thrown(() => story.decide(command)) instanceof ForbiddenError
const isNotFound = (story: Story, command: CaseCommand | MediationCommand) => thrown(() => story.decide(command)) instanceof NotFoundError

// -------------------------------------------------------------------------------------------------------------

t.test('open', async (t) => {
  t.test('a dispute in progress: parties with roles, the rights notice, a 30-day deadline', async (t) => {
    const story = disputeInProgress()
    const at = story.now
    const [opened] = story.do(open())
    t.same(opened, {
      type: 'MediationOpened',
      data: {
        mediationId: MEDIATION_ID,
        mediatorId: people.mediator.id,
        parties: [
          { partyId: people.complainant.id, role: 'complainant', unit: '3-1-201', contact: sealedForTest(people.complainant.id, NAMES.complainant) },
          { partyId: people.respondent.id, role: 'respondent', unit: '3-1-301', contact: sealedForTest(people.respondent.id, NAMES.respondent) },
        ],
        rightsNoticeGiven: true,
        deadlineDays: 30,
        deadlineAt: daysAfter(at, 30),
        at,
      },
    })
    t.match(story.mediation(), { status: 'open', mediatorId: people.mediator.id, deadlineAt: daysAfter(at, 30) })
    t.notMatch(JSON.stringify(story.state), new RegExp(`${NAMES.complainant}|${NAMES.respondent}`), 'no names in the state')
  })

  t.test('deadlineDays sets another deadline; a party without name or unit is fine', async (t) => {
    const story = disputeInProgress()
    const [opened] = story.decide(
      open({ deadlineDays: 10, parties: [{ partyId: 'a', role: 'complainant' }, { partyId: 'b', role: 'respondent' }, { partyId: 'c', role: 'other' }] }),
    )
    t.match(opened, { data: { deadlineDays: 10, deadlineAt: daysAfter(story.now, 10), parties: [{ unit: null, contact: null }, {}, { role: 'other' }] } })
  })

  t.test('rule NOT_A_DISPUTE: a repair is not mediated', async (t) => {
    const story = new Story()
    story.do(commandFor('report'))
    story.do(commandFor('assign'))
    refused(t, story, open(), 'NOT_A_DISPUTE')
  })

  t.test('rule INVALID_TRANSITION: only a dispute in progress', async (t) => {
    const reported = new Story()
    reported.do(reportDispute())
    refused(t, reported, open(), 'INVALID_TRANSITION')
    const onHold = disputeInProgress()
    onHold.do(commandFor('hold'))
    refused(t, onHold, open(), 'INVALID_TRANSITION')
  })

  t.test('rule RIGHTS_NOTICE_REQUIRED', async (t) => {
    refused(t, disputeInProgress(), open({ rightsNoticeGiven: false }), 'RIGHTS_NOTICE_REQUIRED', 'rightsNoticeGiven')
  })

  t.test('rule PARTIES_REQUIRED: at least one complainant and one respondent', async (t) => {
    const story = disputeInProgress()
    const two = (a: 'complainant' | 'respondent' | 'other', b: 'complainant' | 'respondent' | 'other') =>
      open({ parties: [{ partyId: 'p-1', role: a }, { partyId: 'p-2', role: b }] })
    refused(t, story, two('complainant', 'complainant'), 'PARTIES_REQUIRED', 'parties')
    refused(t, story, two('respondent', 'other'), 'PARTIES_REQUIRED', 'parties')
    t.same(types(story.decide(two('respondent', 'complainant'))), ['MediationOpened'])
  })

  t.test('rules DUPLICATE_PARTY and MEDIATOR_IS_PARTY', async (t) => {
    const story = disputeInProgress()
    const parties = [
      { partyId: 'p-1', role: 'complainant' as const },
      { partyId: 'p-1', role: 'respondent' as const },
    ]
    refused(t, story, open({ parties }), 'DUPLICATE_PARTY', 'parties')
    const mediatorParty = [{ partyId: people.mediator.id, role: 'complainant' as const }, { partyId: 'p-2', role: 'respondent' as const }]
    refused(t, story, open({ parties: mediatorParty }), 'MEDIATOR_IS_PARTY', 'mediatorId')
  })

  t.test('rule MEDIATION_ALREADY_OPEN', async (t) => {
    refused(t, mediationWithSession(), open(), 'MEDIATION_ALREADY_OPEN')
  })

  t.test('a new mediation after one without agreement; none after an agreement or a referral', async (t) => {
    const refusedOnce = mediationWithSession()
    refusedOnce.do(refusal(people.respondent.id))
    const [again] = refusedOnce.do(open({ mediatorId: people.otherMediator.id }, people.otherMediator))
    t.match(again, { type: 'MediationOpened', data: { mediatorId: people.otherMediator.id } })
    t.match(refusedOnce.mediation(), { status: 'open', sessions: [], agreements: [] }, 'the new mediation starts afresh')

    const agreed = agreementReached()
    agreed.do(conclude({ outcome: 'agreement' }))
    refused(t, agreed, open(), 'MEDIATION_ALREADY_CONCLUDED')

    const referred = mediationWithSession()
    referred.do(conclude({ outcome: 'referred', referredTo: 'people_mediation_committee' }))
    refused(t, referred, open(), 'MEDIATION_ALREADY_CONCLUDED')
  })

  t.test('access: managers and the mediator named; staff and other mediators are forbidden', async (t) => {
    const story = disputeInProgress()
    t.same(types(story.decide(open({}, people.manager))), ['MediationOpened'])
    t.ok(isForbidden(story, open({}, people.staff)), 'staff read mediations but do not run them')
    t.ok(isForbidden(story, open({}, people.otherMediator)), 'a mediator opens a mediation naming themselves only')
    t.ok(isForbidden(story, open({}, people.complainant)), 'the reporter may not open it')
    t.ok(isNotFound(story, open({}, people.bystander)), 'another resident learns nothing')
    t.ok(isNotFound(new Story(), open()), 'no case')
    t.ok(isForbidden(story, open({}, actors.technician)))
  })
})

t.test('sessions and statements', async (t) => {
  t.test('sessions are numbered; private ones are recorded like joint ones', async (t) => {
    const story = disputeInProgress()
    story.do(open())
    const [first] = story.do(session(story.now))
    const [second] = story.do(session(story.now, { mode: 'private', attendees: [people.respondent.id] }))
    t.match(first, { type: 'MediationSessionHeld', data: { sessionId: 'session-1', mode: 'joint' } })
    t.match(second, { data: { sessionId: 'session-2', mode: 'private', attendees: [people.respondent.id] } })
    t.equal(story.mediation().sessions.length, 2)
  })

  t.test('rules FUTURE_TIME, NOT_A_PARTY and DUPLICATE_PARTY for a session', async (t) => {
    const story = mediationWithSession()
    refused(t, story, session(daysAfter(story.now, 1)), 'FUTURE_TIME', 'heldAt')
    refused(t, story, session(story.now, { attendees: [people.complainant.id, people.bystander.id] }), 'NOT_A_PARTY', 'attendees.1')
    refused(t, story, session(story.now, { attendees: [people.complainant.id, people.complainant.id] }), 'DUPLICATE_PARTY', 'attendees')
  })

  t.test('statements, at a session or not; rules NOT_A_PARTY and UNKNOWN_SESSION', async (t) => {
    const story = mediationWithSession()
    t.match(story.do(statement(people.complainant.id, 'session-1')), [{ data: { sessionId: 'session-1', sessionMode: 'joint' } }])
    t.match(story.do(statement(people.respondent.id)), [{ type: 'MediationStatementRecorded', data: { sessionId: null, sessionMode: null } }])
    story.do(session(story.now, { mode: 'private', attendees: [people.respondent.id] }))
    t.match(story.do(statement(people.respondent.id, 'session-2')), [{ data: { sessionMode: 'private' } }])
    t.equal(story.mediation().statementCount, 3)
    refused(t, story, statement(people.bystander.id), 'NOT_A_PARTY', 'partyId')
    refused(t, story, statement(people.complainant.id, 'session-9'), 'UNKNOWN_SESSION', 'sessionId')
  })

  t.test('rule MEDIATION_NOT_OPEN: no mediation, or a concluded one', async (t) => {
    const none = disputeInProgress()
    refused(t, none, session(none.now), 'MEDIATION_NOT_OPEN')
    const ended = mediationWithSession()
    ended.do(conclude({ outcome: 'withdrawn' }))
    refused(t, ended, session(ended.now), 'MEDIATION_NOT_OPEN')
    refused(t, ended, statement(people.complainant.id), 'MEDIATION_NOT_OPEN')
  })

  t.test('rule INVALID_TRANSITION: the case was withdrawn meanwhile; concluding still works', async (t) => {
    const story = mediationWithSession()
    story.do(commandFor('withdraw'))
    refused(t, story, session(story.now), 'INVALID_TRANSITION')
    t.same(types(story.decide(conclude({ outcome: 'withdrawn' }))), ['MediationConcluded'])
  })

  t.test('access: another mediator and staff are forbidden; parties cannot record sessions', async (t) => {
    const story = mediationWithSession()
    t.ok(isForbidden(story, session(story.now, {}, people.otherMediator)))
    t.ok(isForbidden(story, session(story.now, {}, people.staff)))
    t.ok(isForbidden(story, statement(people.respondent.id, undefined, people.respondent)))
    t.ok(isNotFound(story, statement(people.bystander.id, undefined, people.bystander)))
    t.same(types(story.decide(session(story.now, {}, people.manager))), ['MediationSessionHeld'])
  })
})

t.test('refusal (voluntariness)', async (t) => {
  t.test('a refusal ends the mediation without agreement, in the same append', async (t) => {
    const story = mediationWithSession()
    const events = story.do(refusal(people.respondent.id, people.respondent))
    t.same(types(events), ['MediationRefused', 'MediationConcluded'])
    t.match(events[1], { data: { outcome: 'no_agreement', refusedBy: people.respondent.id, agreementId: null, referredTo: null } })
    t.match(story.mediation(), { status: 'concluded', outcome: 'no_agreement', refusedBy: people.respondent.id })
    t.same(types(story.decide(commandFor('resolve'))), ['CaseResolved'], 'the dispute may now be resolved')
  })

  t.test('a party refuses for themselves only; the mediator may record it', async (t) => {
    const story = mediationWithSession()
    t.ok(isForbidden(story, refusal(people.respondent.id, people.complainant)), 'not for the other party')
    t.same(types(story.decide(refusal(people.respondent.id))), ['MediationRefused', 'MediationConcluded'])
    refused(t, story, refusal(people.bystander.id), 'NOT_A_PARTY', 'partyId')
  })

  t.test('rule AGREEMENT_ALREADY_REACHED: no refusal after everyone agreed', async (t) => {
    refused(t, agreementReached(), refusal(people.respondent.id), 'AGREEMENT_ALREADY_REACHED')
  })
})

t.test('agreement', async (t) => {
  t.test('rule SESSION_REQUIRED: no proposal before any session (the order chosen)', async (t) => {
    const story = disputeInProgress()
    story.do(open())
    refused(t, story, propose(AGREEMENT_1, daysAfter(story.now, 14)), 'SESSION_REQUIRED')
    story.do(session(story.now))
    t.same(types(story.decide(propose(AGREEMENT_1, daysAfter(story.now, 14)))), ['AgreementProposed'])
  })

  t.test('a proposal holds facts, points, responsibilities and terms; its id comes with the command', async (t) => {
    const story = mediationWithSession()
    const due = daysAfter(story.now, 14)
    const [proposed] = story.do(propose(AGREEMENT_1, due))
    t.match(proposed, {
      type: 'AgreementProposed',
      data: { agreementId: AGREEMENT_1, disputedPoints: ['noise after 23:00', /mat/], terms: [{ dueAt: due }, { dueAt: due }] },
    })
    t.match(story.mediation().agreements, [{ agreementId: AGREEMENT_1, status: 'proposed', responses: [] }])
  })

  t.test('rules PROPOSAL_PENDING, NOT_A_PARTY and DUE_DATE_PASSED for a proposal', async (t) => {
    const story = mediationWithSession()
    const due = daysAfter(story.now, 14)
    const stranger = { partyId: people.bystander.id, description: 'pays', dueAt: due }
    refused(t, story, propose(AGREEMENT_1, due, { terms: [stranger] }), 'NOT_A_PARTY', 'terms.0.partyId')
    refused(t, story, propose(AGREEMENT_1, due, { responsibilities: [{ partyId: 'x', text: 'y' }] }), 'NOT_A_PARTY', 'responsibilities.0.partyId')
    const late = { partyId: people.respondent.id, description: 'mat', dueAt: daysAfter(story.now, -1) }
    refused(t, story, propose(AGREEMENT_1, due, { terms: [late] }), 'DUE_DATE_PASSED', 'terms.0.dueAt')
    story.do(propose(AGREEMENT_1, due))
    refused(t, story, propose(AGREEMENT_2, due), 'PROPOSAL_PENDING')
  })

  t.test('AgreementReached is recorded with the last acceptance', async (t) => {
    const story = mediationWithSession()
    story.do(propose(AGREEMENT_1, daysAfter(story.now, 14)))
    t.same(types(story.do(respond(AGREEMENT_1, people.complainant.id, true, people.complainant))), ['AgreementAccepted'])
    const last = story.do(respond(AGREEMENT_1, people.respondent.id, true))
    t.same(types(last), ['AgreementAccepted', 'AgreementReached'])
    t.match(last[0], { data: { partyId: people.respondent.id, recordedBy: 'mediator' } })
    t.match(story.mediation().agreements[0], { status: 'reached', reachedAt: String })
  })

  t.test('every party accepts, an `other` party too', async (t) => {
    const story = disputeInProgress()
    story.do(open({ parties: [{ partyId: 'a', role: 'complainant' }, { partyId: 'b', role: 'respondent' }, { partyId: 'c', role: 'other' }] }))
    story.do(session(story.now, { attendees: ['a', 'b', 'c'] }))
    story.do(propose(AGREEMENT_1, daysAfter(story.now, 3), { responsibilities: [], terms: [{ partyId: 'b', description: 'mat', dueAt: daysAfter(story.now, 3) }] }))
    t.same(types(story.do(respond(AGREEMENT_1, 'a', true))), ['AgreementAccepted'])
    t.same(types(story.do(respond(AGREEMENT_1, 'b', true))), ['AgreementAccepted'])
    t.same(types(story.do(respond(AGREEMENT_1, 'c', true))), ['AgreementAccepted', 'AgreementReached'])
  })

  t.test('a rejection sends the mediation back to proposal', async (t) => {
    const story = mediationWithSession()
    story.do(propose(AGREEMENT_1, daysAfter(story.now, 14)))
    story.do(respond(AGREEMENT_1, people.complainant.id, true))
    t.same(types(story.do(respond(AGREEMENT_1, people.respondent.id, false, people.respondent))), ['AgreementRejected'])
    t.match(story.mediation(), { status: 'open', agreements: [{ status: 'rejected' }] })
    refused(t, story, respond(AGREEMENT_1, people.complainant.id, true), 'AGREEMENT_NOT_PENDING')
    story.do(propose(AGREEMENT_2, daysAfter(story.now, 21)))
    story.do(respond(AGREEMENT_2, people.complainant.id, true))
    t.same(types(story.do(respond(AGREEMENT_2, people.respondent.id, true))), ['AgreementAccepted', 'AgreementReached'])
    t.match(story.mediation().agreements, [{ status: 'rejected' }, { agreementId: AGREEMENT_2, status: 'reached' }])
  })

  t.test('a response from someone who is not a party is refused', async (t) => {
    const story = mediationWithSession()
    story.do(propose(AGREEMENT_1, daysAfter(story.now, 14)))
    refused(t, story, respond(AGREEMENT_1, people.bystander.id, true), 'NOT_A_PARTY', 'partyId')
    t.ok(isNotFound(story, respond(AGREEMENT_1, people.bystander.id, true, people.bystander)), 'a resident outside it learns nothing')
    t.ok(isForbidden(story, respond(AGREEMENT_1, people.respondent.id, true, people.complainant)), 'a party answers for themselves only')
    t.ok(isForbidden(story, respond(AGREEMENT_1, people.respondent.id, true, people.staff)), 'staff do not answer for parties')
    t.ok(isForbidden(story, respond(AGREEMENT_1, people.respondent.id, true, people.otherMediator)))
    t.match(story.decide(respond(AGREEMENT_1, people.respondent.id, true, people.respondent)), [{ data: { recordedBy: 'party' } }])
  })

  t.test('rules ALREADY_RESPONDED and an unknown agreement (404)', async (t) => {
    const story = mediationWithSession()
    story.do(propose(AGREEMENT_1, daysAfter(story.now, 14)))
    story.do(respond(AGREEMENT_1, people.complainant.id, true))
    refused(t, story, respond(AGREEMENT_1, people.complainant.id, false), 'ALREADY_RESPONDED', 'partyId')
    t.ok(isNotFound(story, respond(AGREEMENT_2, people.complainant.id, true)))
  })

  t.test('rule AGREEMENT_ALREADY_REACHED: no new proposal after the agreement', async (t) => {
    const story = agreementReached()
    refused(t, story, propose(AGREEMENT_2, daysAfter(story.now, 7)), 'AGREEMENT_ALREADY_REACHED')
  })
})

t.test('deadline', async (t) => {
  t.test('extended once, from the current deadline', async (t) => {
    const story = mediationWithSession()
    const deadline = story.mediation().deadlineAt
    const [extended] = story.do(extend(15))
    t.match(extended, { type: 'MediationExtended', data: { days: 15, previousDeadlineAt: deadline, deadlineAt: daysAfter(deadline, 15) } })
    t.equal(story.mediation().deadlineAt, daysAfter(deadline, 15))
    refused(t, story, extend(5), 'ALREADY_EXTENDED')
  })

  t.test('the SLA worker records a passed deadline once, and again after an extension', async (t) => {
    const story = mediationWithSession()
    const deadline = story.mediation().deadlineAt
    t.same(story.decide(watch('record_mediation_deadline_passed')), [], 'not yet')
    story.at(daysAfter(deadline, 0))
    t.same(story.do(watch('record_mediation_deadline_passed')), [
      { type: 'MediationDeadlinePassed', data: { deadlineAt: deadline, at: deadline } },
    ])
    t.same(story.decide(watch('record_mediation_deadline_passed')), [], 'once per deadline')
    story.do(extend(10))
    t.same(story.decide(watch('record_mediation_deadline_passed')), [], 'the new deadline is ahead')
    story.at(daysAfter(deadline, 11))
    t.same(types(story.decide(watch('record_mediation_deadline_passed'))), ['MediationDeadlinePassed'])
    story.do(conclude({ outcome: 'no_agreement' }))
    t.same(story.decide(watch('record_mediation_deadline_passed')), [], 'a concluded mediation has no deadline')
  })

  t.test('only the SLA worker records a breach', async (t) => {
    const story = mediationWithSession()
    const asMediator = { ...watch('record_mediation_deadline_passed'), actor: people.mediator }
    t.ok(isForbidden(story, asMediator))
    t.ok(isNotFound(new Story(), watch('record_fulfilment_overdue')))
  })
})

t.test('conclusion', async (t) => {
  t.test('concluding with `agreement` before AgreementReached is refused', async (t) => {
    const story = mediationWithSession()
    refused(t, story, conclude({ outcome: 'agreement' }), 'AGREEMENT_NOT_REACHED', 'outcome')
    story.do(propose(AGREEMENT_1, daysAfter(story.now, 14)))
    story.do(respond(AGREEMENT_1, people.complainant.id, true))
    refused(t, story, conclude({ outcome: 'agreement' }), 'AGREEMENT_NOT_REACHED', 'outcome')
  })

  t.test('with the agreement, after AgreementReached; the days it took are recorded', async (t) => {
    const story = agreementReached()
    refused(t, story, conclude({ outcome: 'no_agreement' }), 'AGREEMENT_ALREADY_REACHED', 'outcome')
    const openedAt = story.mediation().openedAt
    story.at(daysAfter(openedAt, 6))
    const [concluded] = story.do(conclude({ outcome: 'agreement', note: 'signed by both' }))
    t.same(concluded, {
      type: 'MediationConcluded',
      data: { outcome: 'agreement', referredTo: null, note: 'signed by both', agreementId: AGREEMENT_1, refusedBy: null, days: 6, at: daysAfter(openedAt, 6) },
    })
    refused(t, story, conclude({ outcome: 'agreement' }), 'MEDIATION_NOT_OPEN')
  })

  t.test('referred: where to; rule REFERRAL_REQUIRED', async (t) => {
    const story = mediationWithSession()
    refused(t, story, conclude({ outcome: 'referred' }), 'REFERRAL_REQUIRED', 'referredTo')
    t.match(story.decide(conclude({ outcome: 'referred', referredTo: 'court' })), [{ data: { outcome: 'referred', referredTo: 'court' } }])
    t.match(story.decide(conclude({ outcome: 'withdrawn' })), [{ data: { outcome: 'withdrawn', referredTo: null } }])
  })

  t.test('a dispute cannot be resolved before its mediation is concluded', async (t) => {
    const story = mediationWithSession()
    refused(t, story, commandFor('resolve'), 'MEDIATION_NOT_CONCLUDED')
    story.do(conclude({ outcome: 'no_agreement' }))
    t.same(types(story.decide(commandFor('resolve'))), ['CaseResolved'])
  })
})

t.test('fulfilment and court confirmation', async (t) => {
  t.test('each term checked, on time or late; after conclusion and resolution too', async (t) => {
    const story = agreementReached()
    const due = story.mediation().agreements[0]!.terms[0]!.dueAt
    story.do(conclude({ outcome: 'agreement' }))
    story.do(commandFor('resolve'))
    t.match(story.do(fulfilment(AGREEMENT_1, 0, true)), [{ type: 'FulfilmentChecked', data: { termIndex: 0, fulfilled: true, onTime: true } }])
    story.at(daysAfter(due, 2))
    t.match(story.do(fulfilment(AGREEMENT_1, 1, false)), [{ data: { fulfilled: false, onTime: null } }])
    t.match(story.do(fulfilment(AGREEMENT_1, 1, true)), [{ data: { fulfilled: true, onTime: false } }])
    t.same(story.mediation().agreements[0]!.terms.map((term) => term.fulfilled), [true, true])
  })

  t.test('rules UNKNOWN_AGREEMENT, AGREEMENT_NOT_REACHED and UNKNOWN_TERM', async (t) => {
    const story = mediationWithSession()
    story.do(propose(AGREEMENT_1, daysAfter(story.now, 14)))
    refused(t, story, fulfilment(AGREEMENT_1, 0), 'AGREEMENT_NOT_REACHED', 'agreementId')
    refused(t, story, fulfilment(AGREEMENT_2, 0), 'UNKNOWN_AGREEMENT', 'agreementId')
    story.do(respond(AGREEMENT_1, people.complainant.id, true))
    story.do(respond(AGREEMENT_1, people.respondent.id, true))
    refused(t, story, fulfilment(AGREEMENT_1, 2), 'UNKNOWN_TERM', 'termIndex')
    t.ok(isForbidden(story, fulfilment(AGREEMENT_1, 0, true, people.respondent)), 'parties do not check their own terms')
  })

  t.test('the SLA worker records each overdue term once; a fulfilled term is not overdue', async (t) => {
    const story = agreementReached()
    const due = story.mediation().agreements[0]!.terms[0]!.dueAt
    story.do(fulfilment(AGREEMENT_1, 0, true))
    t.same(story.decide(watch('record_fulfilment_overdue')), [], 'not yet due')
    story.at(daysAfter(due, 1))
    t.same(story.do(watch('record_fulfilment_overdue')), [
      { type: 'FulfilmentOverdue', data: { agreementId: AGREEMENT_1, termIndex: 1, dueAt: due, at: daysAfter(due, 1) } },
    ])
    t.same(story.decide(watch('record_fulfilment_overdue')), [], 'once per term')
    t.same(mediationWithSession().decide(watch('record_fulfilment_overdue')), [], 'no agreement, nothing to watch')
  })

  t.test('court confirmation within 30 days of the agreement, once', async (t) => {
    const story = agreementReached()
    const reachedAt = story.mediation().agreements[0]!.reachedAt!
    refused(t, story, courtConfirmation(daysAfter(reachedAt, -1)), 'COURT_CONFIRMATION_WINDOW', 'requestedAt')
    refused(t, story, courtConfirmation(daysAfter(story.now, 1)), 'FUTURE_TIME', 'requestedAt')
    story.at(daysAfter(reachedAt, 40))
    refused(t, story, courtConfirmation(daysAfter(reachedAt, 31)), 'COURT_CONFIRMATION_WINDOW', 'requestedAt')
    const [requested] = story.do(courtConfirmation(daysAfter(reachedAt, 29)))
    t.match(requested, { type: 'CourtConfirmationRequested', data: { agreementId: AGREEMENT_1, requestedAt: daysAfter(reachedAt, 29) } })
    refused(t, story, courtConfirmation(daysAfter(reachedAt, 30)), 'COURT_CONFIRMATION_ALREADY_RECORDED')
    const unagreed = mediationWithSession()
    refused(t, unagreed, courtConfirmation(unagreed.now), 'AGREEMENT_NOT_REACHED')
  })
})

t.test('the case stream', async (t) => {
  t.test('every mediation event survives the codec, and a replay gives the same state', async (t) => {
    const story = agreementReached()
    story.do(statement(people.complainant.id, 'session-1'))
    story.do(extend(5))
    story.do(conclude({ outcome: 'agreement' }))
    story.do(fulfilment(AGREEMENT_1, 0))
    story.do(courtConfirmation(story.now))
    story.at(daysAfter(story.now, 30))
    story.do(watch('record_fulfilment_overdue'))
    const second = mediationWithSession()
    second.do(propose(AGREEMENT_1, daysAfter(second.now, 3)))
    second.do(respond(AGREEMENT_1, people.respondent.id, false))
    second.at(daysAfter(second.now, 31))
    second.do(watch('record_mediation_deadline_passed'))
    second.do(refusal(people.complainant.id))
    const stories = [story, second]
    const seen = new Set<string>(stories.flatMap((s) => types(s.events)))
    for (const type of Object.keys(MediationEventTypes)) t.ok(seen.has(type), `${type} is exercised`)
    for (const s of stories) {
      const stored = s.events.map((event) => JSON.parse(JSON.stringify(caseEventCodec.toStored(event))))
      const read = stored.map((event) => caseEventCodec.fromStored(event))
      t.same(read, s.events, 'decoded as decided')
      t.same(read.reduce(caseDecider.evolve, caseDecider.initialState), s.state, 'the case decider folds the whole stream')
    }
  })

})

t.test('access table: staff, technicians, committee members, auditors and administrators run no mediation step', async (t) => {
  const story = agreementReached()
  const due = daysAfter(story.now, 5)
  const steps: Array<(actor: typeof people.staff) => MediationCommand> = [
    (actor) => open({}, actor),
    (actor) => session(story.now, {}, actor),
    (actor) => statement(people.complainant.id, undefined, actor),
    (actor) => refusal(people.complainant.id, actor),
    (actor) => propose(AGREEMENT_2, due, {}, actor),
    (actor) => respond(AGREEMENT_1, people.complainant.id, true, actor),
    (actor) => extend(5, actor),
    (actor) => conclude({ outcome: 'agreement' }, actor),
    (actor) => fulfilment(AGREEMENT_1, 0, true, actor),
    (actor) => courtConfirmation(story.now, actor),
    (actor) => ({ ...watch('record_fulfilment_overdue'), actor }),
  ]
  for (const actor of [people.staff, actors.technician, actors.committee, actors.auditor, actors.admin]) {
    for (const step of steps) {
      const command = step(actor)
      t.ok(isForbidden(story, command), `${actor.id}: ${command.type}`)
    }
  }
})
