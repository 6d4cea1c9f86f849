import type { CaseStreamEvent } from '@pc/contracts'
import type { CaseCommand, CaseState, CommandActor, MediationCommand, MediationCommandOf } from '../../src/index.js'
import { caseDecider, isMediationCommand, mediationDecider, SLA_ACTOR } from '../../src/index.js'
import { actors, CASE_ID, commandFor, context, minutesAfter, T0 } from './case-fixtures.js'
import { sealedForTest } from '@pc/testing/personal'

/**
 * Fixtures for the mediation decider: a noise dispute between two neighbours, the people involved, command
 * builders with valid defaults, and a `Story` that runs case and mediation commands on one stream.
 */

export const MEDIATION_ID = '5e1f0a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b'
export const AGREEMENT_1 = '6f2a1b3c-4d5e-4f6a-9b0c-1d2e3f4a5b6c'
export const AGREEMENT_2 = '7a3b2c4d-5e6f-4a7b-8c1d-2e3f4a5b6c7d'

export const people = {
  /** The mediator the mediation names. */
  mediator: actors.mediator,
  otherMediator: { id: 'mediator-2', roles: ['mediator'] },
  manager: actors.manager,
  staff: actors.staff,
  /** The resident who reported the dispute: the complainant. */
  complainant: actors.resident,
  /** The upstairs neighbour. */
  respondent: { id: 'resident-3', roles: ['resident'], units: ['3-1-301'] },
  /** A resident with nothing to do with the dispute. */
  bystander: actors.otherResident,
  sla: SLA_ACTOR,
} satisfies Record<string, CommandActor>

export const NAMES = { complainant: '王秀英', respondent: '李建国' }

const DAY = 24 * 60

export const daysAfter = (iso: string, days: number) => minutesAfter(iso, days * DAY)

export const open = (
  patch: Partial<MediationCommandOf<'open_mediation'>['data']> = {},
  actor: CommandActor = people.mediator,
): MediationCommand => ({
  type: 'open_mediation',
  mediationId: MEDIATION_ID,
  actor,
  data: {
    mediatorId: people.mediator.id,
    parties: [
      { partyId: people.complainant.id, role: 'complainant', contact: sealedForTest(people.complainant.id, NAMES.complainant), unit: '3-1-201' },
      { partyId: people.respondent.id, role: 'respondent', contact: sealedForTest(people.respondent.id, NAMES.respondent), unit: '3-1-301' },
    ],
    rightsNoticeGiven: true,
    ...patch,
  },
})

export const session = (
  heldAt: string,
  patch: Partial<MediationCommandOf<'hold_session'>['data']> = {},
  actor: CommandActor = people.mediator,
): MediationCommand => ({
  type: 'hold_session',
  actor,
  data: {
    heldAt,
    mode: 'joint',
    attendees: [people.complainant.id, people.respondent.id],
    summary: 'Both sides heard; the noise is a washing machine run after 23:00.',
    ...patch,
  },
})

export const statement = (
  partyId: string,
  sessionId?: string,
  actor: CommandActor = people.mediator,
): MediationCommand => ({
  type: 'record_statement',
  actor,
  data: { partyId, statement: `Statement of ${partyId}`, ...(sessionId && { sessionId }) },
})

export const refusal = (partyId: string, actor: CommandActor = people.mediator): MediationCommand => ({
  type: 'record_refusal',
  actor,
  data: { partyId, reason: 'does not want to sit with the neighbour' },
})

export const propose = (
  agreementId: string,
  dueAt: string,
  patch: Partial<MediationCommandOf<'propose_agreement'>['data']> = {},
  actor: CommandActor = people.mediator,
): MediationCommand => ({
  type: 'propose_agreement',
  agreementId,
  actor,
  data: {
    facts: 'The washing machine in 3-1-301 runs after 23:00 on most nights.',
    disputedPoints: ['noise after 23:00', 'who pays for the anti-vibration mat'],
    responsibilities: [{ partyId: people.respondent.id, text: 'keeps quiet hours' }],
    terms: [
      { partyId: people.respondent.id, description: 'fit an anti-vibration mat', dueAt },
      { partyId: people.respondent.id, description: 'no washing after 22:00', dueAt },
    ],
    ...patch,
  },
})

export const respond = (
  agreementId: string,
  partyId: string,
  accept: boolean,
  actor: CommandActor = people.mediator,
): MediationCommand => ({ type: 'respond_to_agreement', agreementId, actor, data: { partyId, accept } })

export const extend = (days = 15, actor: CommandActor = people.mediator): MediationCommand => ({
  type: 'extend_mediation',
  actor,
  data: { days, reason: 'the respondent is travelling' },
})

export const conclude = (
  data: MediationCommandOf<'conclude_mediation'>['data'],
  actor: CommandActor = people.mediator,
): MediationCommand => ({ type: 'conclude_mediation', actor, data })

export const fulfilment = (
  agreementId: string,
  termIndex: number,
  fulfilled = true,
  actor: CommandActor = people.mediator,
): MediationCommand => ({ type: 'check_fulfilment', actor, data: { agreementId, termIndex, fulfilled, note: 'checked on site' } })

export const courtConfirmation = (requestedAt: string, actor: CommandActor = people.mediator): MediationCommand => ({
  type: 'record_court_confirmation',
  actor,
  data: { requestedAt, court: 'Pudong People’s Court' },
})

export const watch = (type: 'record_mediation_deadline_passed' | 'record_fulfilment_overdue'): MediationCommand => ({
  type,
  actor: SLA_ACTOR,
  data: {},
})

/** A dispute report by staff on behalf of the complainant (`commandFor('report')` names `actors.resident`). */
export function reportDispute(): CaseCommand {
  const base = commandFor('report')
  if (base.type !== 'report') throw new Error('unreachable')
  return {
    ...base,
    caseId: CASE_ID,
    data: { ...base.data, kind: 'dispute', category: 'noise', title: 'Noise from 3-1-301 at night', channel: 'hotline' },
  }
}

/** Case and mediation commands on one case stream, folded as the command API folds them. */
export class Story {
  events: CaseStreamEvent[] = []
  state: CaseState = caseDecider.initialState
  now: string

  constructor(start: string = T0) {
    this.now = start
  }

  /** What `command` decides now, without recording it. */
  decide(command: CaseCommand | MediationCommand): CaseStreamEvent[] {
    return isMediationCommand(command)
      ? mediationDecider.decide(command, this.state, context(this.now))
      : caseDecider.decide(command, this.state, context(this.now))
  }

  /** Decides, records, and moves the clock on by `minutes`. */
  do(command: CaseCommand | MediationCommand, minutes = 10): CaseStreamEvent[] {
    const decided = this.decide(command)
    this.events.push(...decided)
    this.state = decided.reduce(mediationDecider.evolve, this.state)
    this.now = minutesAfter(this.now, minutes)
    return decided
  }

  /** Moves the clock to `iso` (never backwards). */
  at(iso: string): this {
    if (Date.parse(iso) < Date.parse(this.now)) throw new Error(`clock would go back to ${iso}`)
    this.now = iso
    return this
  }

  mediation() {
    if (this.state.status === 'none' || this.state.mediation === null) throw new Error('no mediation')
    return this.state.mediation
  }
}

/** A noise dispute, reported and assigned: in progress, ready to be mediated. */
export function disputeInProgress(): Story {
  const story = new Story()
  story.do(reportDispute())
  story.do(commandFor('assign'))
  return story
}

/** … with a mediation opened and one joint session held. */
export function mediationWithSession(): Story {
  const story = disputeInProgress()
  story.do(open())
  story.do(session(story.now))
  return story
}

/** … with agreement 1 proposed (terms due in 14 days) and accepted by both parties. */
export function agreementReached(): Story {
  const story = mediationWithSession()
  story.do(propose(AGREEMENT_1, daysAfter(story.now, 14)))
  story.do(respond(AGREEMENT_1, people.complainant.id, true))
  story.do(respond(AGREEMENT_1, people.respondent.id, true))
  return story
}
