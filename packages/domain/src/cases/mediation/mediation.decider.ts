import { COURT_CONFIRMATION_DAYS, DEFAULT_MEDIATION_DAYS } from '@pc/contracts'
import type { CaseStreamEvent, MediationEvent, MediationEventOf } from '@pc/contracts'
import { assertNever } from '../../decider.js'
import type { Decider } from '../../decider.js'
import { ForbiddenError, NotFoundError, RuleViolationError } from '../../errors.js'
import type { CaseContext } from '../case.commands.js'
import { evolve } from '../case.evolve.js'
import { CaseRule } from '../case.rules.js'
import { initialCaseState, isOpen } from '../case.state.js'
import type { ActiveCaseState, CaseState } from '../case.state.js'
import { authorizeMediationCommand } from './mediation.access.js'
import type { MediationCommand, MediationCommandOf } from './mediation.commands.js'
import { isParty, pendingAgreement, reachedAgreement } from './mediation.state.js'
import type { AgreementState, MediationState, OpenMediation } from './mediation.state.js'

/**
 * The mediation decider (调解, DESIGN §4, issue 5): the People's Mediation Law's steps inside a dispute case —
 * open → sessions → statements → proposal → each party's answer (`AgreementReached` with the last acceptance) →
 * conclusion → fulfilment checked by its due dates, and optionally court confirmation (司法确认).
 *
 * It composes with the case decider on one stream and one state: mediation events live in the dispute's own
 * `case-<uuid>` stream, the case decider's `evolve` hands them to `evolveMediation`, which keeps the mediation in the
 * case state's `mediation` slot; the case decider reads that slot to refuse resolving a dispute whose mediation is
 * still open. `decide` checks access first (`authorizeMediationCommand`), then the rules (422 with a `rule`).
 *
 * Where the law leaves the order open, this decider chooses:
 * - **a proposal needs a session first**: an agreement is what the parties worked out with the mediator, so at
 *   least one session is held before the first proposal (`SESSION_REQUIRED`). Statements are not required;
 * - **any party's refusal ends the mediation** (voluntariness, 自愿原则), whatever the party's role: the refusal is
 *   recorded with a `MediationConcluded` (`no_agreement`) in the same append;
 * - **one proposal at a time**: a proposal waits for every party's answer or one rejection before the next
 *   (`PROPOSAL_PENDING`); a rejection sends the mediation back to proposing;
 * - **every party accepts**, `other` parties included: an agreement binds everyone named in it;
 * - **after `AgreementReached`** nothing is proposed or refused any more, and the mediation concludes with
 *   `agreement` only (`AGREEMENT_ALREADY_REACHED`);
 * - **a new mediation** may be opened after one that ended without agreement (`no_agreement`, `withdrawn`); not
 *   after an agreement or a referral elsewhere (`MEDIATION_ALREADY_CONCLUDED`);
 * - **terms are not due in the past** when proposed; **fulfilment and court confirmation** are recorded against
 *   the reached agreement whenever they happen, after conclusion and after the case is resolved too;
 * - sessions, statements, proposals, answers and extensions need the case still open (not withdrawn or merged);
 *   concluding does not, so a withdrawn dispute's mediation can still be closed as `withdrawn`.
 */

/** Rule names a client may see in a 422 `RULE_VIOLATED` body. */
export const MediationRule = {
  /** Only disputes (纠纷) are mediated. */
  NOT_A_DISPUTE: 'NOT_A_DISPUTE',
  INVALID_TRANSITION: CaseRule.INVALID_TRANSITION,
  MEDIATION_ALREADY_OPEN: 'MEDIATION_ALREADY_OPEN',
  /** The last mediation ended in agreement or was referred elsewhere: no new one. */
  MEDIATION_ALREADY_CONCLUDED: 'MEDIATION_ALREADY_CONCLUDED',
  MEDIATION_NOT_OPEN: 'MEDIATION_NOT_OPEN',
  /** The parties were told their rights before mediation (权利义务告知). */
  RIGHTS_NOTICE_REQUIRED: 'RIGHTS_NOTICE_REQUIRED',
  /** At least one complainant and one respondent. */
  PARTIES_REQUIRED: 'PARTIES_REQUIRED',
  DUPLICATE_PARTY: 'DUPLICATE_PARTY',
  MEDIATOR_IS_PARTY: 'MEDIATOR_IS_PARTY',
  NOT_A_PARTY: 'NOT_A_PARTY',
  /** A session or a request is recorded after it happened, never ahead. */
  FUTURE_TIME: 'FUTURE_TIME',
  UNKNOWN_SESSION: 'UNKNOWN_SESSION',
  SESSION_REQUIRED: 'SESSION_REQUIRED',
  PROPOSAL_PENDING: 'PROPOSAL_PENDING',
  DUE_DATE_PASSED: 'DUE_DATE_PASSED',
  AGREEMENT_NOT_PENDING: 'AGREEMENT_NOT_PENDING',
  ALREADY_RESPONDED: 'ALREADY_RESPONDED',
  AGREEMENT_ALREADY_REACHED: 'AGREEMENT_ALREADY_REACHED',
  AGREEMENT_NOT_REACHED: 'AGREEMENT_NOT_REACHED',
  UNKNOWN_AGREEMENT: 'UNKNOWN_AGREEMENT',
  UNKNOWN_TERM: 'UNKNOWN_TERM',
  /** The deadline is extended once. */
  ALREADY_EXTENDED: 'ALREADY_EXTENDED',
  REFERRAL_REQUIRED: 'REFERRAL_REQUIRED',
  /** Court confirmation is asked for within 30 days of the agreement. */
  COURT_CONFIRMATION_WINDOW: 'COURT_CONFIRMATION_WINDOW',
  COURT_CONFIRMATION_ALREADY_RECORDED: 'COURT_CONFIRMATION_ALREADY_RECORDED',
} as const
export type MediationRule = keyof typeof MediationRule

const DAY_MS = 24 * 60 * 60 * 1000
const ms = (iso: string) => Date.parse(iso)
const plusDays = (iso: string, days: number) => new Date(ms(iso) + days * DAY_MS).toISOString()

const rule = (name: MediationRule, message: string, field?: string) => new RuleViolationError(MediationRule[name], message, field)

/**
 * Decides a mediation command on the case state.
 *
 * @example
 * const events = decideMediation({ type: 'hold_session', data, actor }, state, { now })
 */
export function decideMediation(
  command: MediationCommand,
  state: CaseState,
  context: Pick<CaseContext, 'now'>,
): MediationEvent[] {
  const access = authorizeMediationCommand(command, state)
  if (access === 'forbidden') throw new ForbiddenError(`not allowed to ${command.type.replaceAll('_', ' ')} in this case`)
  if (access === 'not_found' || state.status === 'none') throw new NotFoundError('case not found')

  const at = new Date(ms(context.now)).toISOString()
  switch (command.type) {
    case 'open_mediation':
      return [open(command, state, at)]
    case 'hold_session':
      return [holdSession(command, inFlight(state, command.type), at)]
    case 'record_statement':
      return [statement(command, inFlight(state, command.type), at)]
    case 'record_refusal':
      return refusal(command, inFlight(state, command.type), at)
    case 'propose_agreement':
      return [propose(command, inFlight(state, command.type), at)]
    case 'respond_to_agreement':
      return respond(command, inFlight(state, command.type), at)
    case 'extend_mediation':
      return [extend(command, inFlight(state, command.type), at)]
    case 'conclude_mediation':
      return [conclude(command, openMediation(state), at)]
    case 'check_fulfilment':
      return [checkFulfilment(command, current(state), at)]
    case 'record_court_confirmation':
      return [courtConfirmation(command, current(state), at)]
    case 'record_mediation_deadline_passed':
      return deadlinePassed(state, at)
    case 'record_fulfilment_overdue':
      return fulfilmentOverdue(state, at)
    default:
      return assertNever(command)
  }
}

function current(state: ActiveCaseState): MediationState {
  if (state.mediation === null) throw rule('MEDIATION_NOT_OPEN', 'this case has no mediation')
  return state.mediation
}

function openMediation(state: ActiveCaseState): OpenMediation {
  const mediation = current(state)
  if (mediation.status !== 'open') throw rule('MEDIATION_NOT_OPEN', 'the mediation is concluded')
  return mediation
}

/** Steps of a running mediation: it is open, and so is the case (not withdrawn or merged meanwhile). */
function inFlight(state: ActiveCaseState, commandType: string): OpenMediation {
  const mediation = openMediation(state)
  if (!isOpen(state)) {
    throw rule('INVALID_TRANSITION', `cannot ${commandType.replaceAll('_', ' ')} in a case that is ${state.status}`)
  }
  return mediation
}

function requireParty(mediation: MediationState, partyId: string, field: string): void {
  if (!isParty(mediation, partyId)) throw rule('NOT_A_PARTY', `${partyId} is not a party to this mediation`, field)
}

function open(command: MediationCommandOf<'open_mediation'>, state: ActiveCaseState, at: string): MediationEvent {
  const { data } = command
  if (state.kind !== 'dispute') throw rule('NOT_A_DISPUTE', `only disputes are mediated, this case is a ${state.kind}`)
  if (state.status !== 'in_progress') {
    throw rule('INVALID_TRANSITION', `mediation opens on a dispute in progress, this one is ${state.status.replaceAll('_', ' ')}`)
  }
  const previous = state.mediation
  if (previous?.status === 'open') throw rule('MEDIATION_ALREADY_OPEN', 'a mediation of this dispute is already open')
  if (previous?.status === 'concluded' && (previous.outcome === 'agreement' || previous.outcome === 'referred')) {
    const ended = previous.outcome === 'agreement' ? 'an agreement' : 'a referral'
    throw rule('MEDIATION_ALREADY_CONCLUDED', `the last mediation of this dispute ended in ${ended}`)
  }
  if (!data.rightsNoticeGiven) {
    throw rule('RIGHTS_NOTICE_REQUIRED', 'the parties must be told their rights before mediation opens', 'rightsNoticeGiven')
  }
  const ids = data.parties.map((party) => party.partyId)
  if (new Set(ids).size !== ids.length) throw rule('DUPLICATE_PARTY', 'a party is named twice', 'parties')
  const roles = new Set(data.parties.map((party) => party.role))
  if (!roles.has('complainant') || !roles.has('respondent')) {
    throw rule('PARTIES_REQUIRED', 'a mediation needs at least one complainant and one respondent', 'parties')
  }
  if (ids.includes(data.mediatorId)) throw rule('MEDIATOR_IS_PARTY', 'the mediator cannot be a party', 'mediatorId')
  const deadlineDays = data.deadlineDays ?? DEFAULT_MEDIATION_DAYS
  return {
    type: 'MediationOpened',
    data: {
      mediationId: command.mediationId,
      mediatorId: data.mediatorId,
      parties: data.parties.map((party) => ({
        partyId: party.partyId,
        role: party.role,
        unit: party.unit ?? null,
        contact: party.contact ?? null,
      })),
      rightsNoticeGiven: true,
      deadlineDays,
      deadlineAt: plusDays(at, deadlineDays),
      at,
    },
  }
}

function holdSession(command: MediationCommandOf<'hold_session'>, mediation: OpenMediation, at: string): MediationEvent {
  const { heldAt, mode, attendees, summary } = command.data
  if (ms(heldAt) > ms(at)) throw rule('FUTURE_TIME', 'a session is recorded after it was held', 'heldAt')
  if (new Set(attendees).size !== attendees.length) throw rule('DUPLICATE_PARTY', 'an attendee is named twice', 'attendees')
  attendees.forEach((partyId, index) => requireParty(mediation, partyId, `attendees.${index}`))
  return {
    type: 'MediationSessionHeld',
    data: {
      sessionId: `session-${mediation.sessions.length + 1}`,
      heldAt: new Date(ms(heldAt)).toISOString(),
      mode,
      attendees: [...attendees],
      summary,
      at,
    },
  }
}

function statement(command: MediationCommandOf<'record_statement'>, mediation: OpenMediation, at: string): MediationEvent {
  const { partyId, sessionId } = command.data
  requireParty(mediation, partyId, 'partyId')
  const session = sessionId === undefined ? undefined : mediation.sessions.find((s) => s.sessionId === sessionId)
  if (sessionId !== undefined && !session) throw rule('UNKNOWN_SESSION', `no ${sessionId} in this mediation`, 'sessionId')
  return {
    type: 'MediationStatementRecorded',
    data: { partyId, statement: command.data.statement, sessionId: sessionId ?? null, sessionMode: session?.mode ?? null, at },
  }
}

function refusal(command: MediationCommandOf<'record_refusal'>, mediation: OpenMediation, at: string): MediationEvent[] {
  const { partyId } = command.data
  requireParty(mediation, partyId, 'partyId')
  if (reachedAgreement(mediation)) throw rule('AGREEMENT_ALREADY_REACHED', 'the parties have already agreed')
  return [
    { type: 'MediationRefused', data: { partyId, reason: command.data.reason ?? null, at } },
    concluded(mediation, { outcome: 'no_agreement', referredTo: null, note: null, agreementId: null, refusedBy: partyId }, at),
  ]
}

function propose(command: MediationCommandOf<'propose_agreement'>, mediation: OpenMediation, at: string): MediationEvent {
  const { data } = command
  if (reachedAgreement(mediation)) throw rule('AGREEMENT_ALREADY_REACHED', 'the parties have already agreed')
  if (mediation.sessions.length === 0) {
    throw rule('SESSION_REQUIRED', 'an agreement is proposed after at least one session with the parties')
  }
  if (pendingAgreement(mediation)) throw rule('PROPOSAL_PENDING', 'the last proposal is still waiting for answers')
  data.responsibilities.forEach((r, index) => requireParty(mediation, r.partyId, `responsibilities.${index}.partyId`))
  data.terms.forEach((term, index) => {
    requireParty(mediation, term.partyId, `terms.${index}.partyId`)
    if (ms(term.dueAt) < ms(at)) throw rule('DUE_DATE_PASSED', 'a term cannot be due in the past', `terms.${index}.dueAt`)
  })
  return {
    type: 'AgreementProposed',
    data: {
      agreementId: command.agreementId,
      facts: data.facts,
      disputedPoints: [...data.disputedPoints],
      responsibilities: data.responsibilities.map(({ partyId, text }) => ({ partyId, text })),
      terms: data.terms.map(({ partyId, description, dueAt }) => ({
        partyId,
        description,
        dueAt: new Date(ms(dueAt)).toISOString(),
      })),
      at,
    },
  }
}

function agreementOf(mediation: MediationState, agreementId: string): AgreementState {
  const agreement = mediation.agreements.find((a) => a.agreementId === agreementId)
  if (!agreement) throw new NotFoundError('agreement not found')
  return agreement
}

function respond(command: MediationCommandOf<'respond_to_agreement'>, mediation: OpenMediation, at: string): MediationEvent[] {
  const { partyId, accept } = command.data
  const agreement = agreementOf(mediation, command.agreementId)
  requireParty(mediation, partyId, 'partyId')
  if (agreement.status !== 'proposed') {
    throw rule('AGREEMENT_NOT_PENDING', `this proposal was ${agreement.status} and takes no more answers`)
  }
  if (agreement.responses.some((response) => response.partyId === partyId)) {
    throw rule('ALREADY_RESPONDED', `${partyId} has already answered this proposal`, 'partyId')
  }
  const { actor } = command
  const data = {
    agreementId: agreement.agreementId,
    partyId,
    comment: command.data.comment ?? null,
    recordedBy: actor.id === partyId && actor.roles.includes('resident') ? ('party' as const) : ('mediator' as const),
    at,
  }
  if (!accept) return [{ type: 'AgreementRejected', data }]
  const accepted = new Set([...agreement.responses.filter((r) => r.accept).map((r) => r.partyId), partyId])
  const everyone = mediation.parties.every((party) => accepted.has(party.partyId))
  return [
    { type: 'AgreementAccepted', data },
    ...(everyone ? [{ type: 'AgreementReached' as const, data: { agreementId: agreement.agreementId, at } }] : []),
  ]
}

function extend(command: MediationCommandOf<'extend_mediation'>, mediation: OpenMediation, at: string): MediationEvent {
  if (mediation.extension !== null) throw rule('ALREADY_EXTENDED', 'the deadline was already extended once')
  const { days, reason } = command.data
  return {
    type: 'MediationExtended',
    data: { days, reason, previousDeadlineAt: mediation.deadlineAt, deadlineAt: plusDays(mediation.deadlineAt, days), at },
  }
}

function concluded(
  mediation: OpenMediation,
  fields: Omit<MediationEventOf<'MediationConcluded'>['data'], 'days' | 'at'>,
  at: string,
): MediationEventOf<'MediationConcluded'> {
  return { type: 'MediationConcluded', data: { ...fields, days: Math.max(0, ms(at) - ms(mediation.openedAt)) / DAY_MS, at } }
}

function conclude(command: MediationCommandOf<'conclude_mediation'>, mediation: OpenMediation, at: string): MediationEvent {
  const { outcome, referredTo, note } = command.data
  const reached = reachedAgreement(mediation)
  if (outcome === 'agreement' && !reached) {
    throw rule('AGREEMENT_NOT_REACHED', 'no agreement was reached: every party must accept a proposal first', 'outcome')
  }
  if (outcome !== 'agreement' && reached) {
    throw rule('AGREEMENT_ALREADY_REACHED', 'the parties agreed: the mediation concludes with the agreement', 'outcome')
  }
  if (outcome === 'referred' && referredTo === undefined) {
    throw rule('REFERRAL_REQUIRED', 'say where the dispute is referred to', 'referredTo')
  }
  return concluded(
    mediation,
    {
      outcome,
      referredTo: outcome === 'referred' ? (referredTo ?? null) : null,
      note: note ?? null,
      agreementId: reached?.agreementId ?? null,
      refusedBy: null,
    },
    at,
  )
}

/** The agreement named in a body: it exists and was reached (every party accepted it). */
function reachedNamed(mediation: MediationState, agreementId: string): AgreementState {
  const agreement = mediation.agreements.find((a) => a.agreementId === agreementId)
  if (!agreement) throw rule('UNKNOWN_AGREEMENT', 'no such agreement in this mediation', 'agreementId')
  if (agreement.status !== 'reached') throw rule('AGREEMENT_NOT_REACHED', 'this proposal was never agreed', 'agreementId')
  return agreement
}

function checkFulfilment(command: MediationCommandOf<'check_fulfilment'>, mediation: MediationState, at: string): MediationEvent {
  const { agreementId, termIndex, fulfilled, note } = command.data
  const agreement = reachedNamed(mediation, agreementId)
  const term = agreement.terms[termIndex]
  if (!term) throw rule('UNKNOWN_TERM', `the agreement has ${agreement.terms.length} terms`, 'termIndex')
  return {
    type: 'FulfilmentChecked',
    data: { agreementId, termIndex, fulfilled, note, onTime: fulfilled ? ms(at) <= ms(term.dueAt) : null, at },
  }
}

function courtConfirmation(
  command: MediationCommandOf<'record_court_confirmation'>,
  mediation: MediationState,
  at: string,
): MediationEvent {
  const reached = reachedAgreement(mediation)
  if (!reached?.reachedAt) throw rule('AGREEMENT_NOT_REACHED', 'court confirmation needs an agreement')
  if (mediation.courtConfirmation) {
    throw rule('COURT_CONFIRMATION_ALREADY_RECORDED', 'the request for court confirmation is already recorded')
  }
  const requestedAt = new Date(ms(command.data.requestedAt)).toISOString()
  if (ms(requestedAt) > ms(at)) throw rule('FUTURE_TIME', 'a request is recorded after it was made', 'requestedAt')
  if (ms(requestedAt) < ms(reached.reachedAt) || ms(requestedAt) > ms(plusDays(reached.reachedAt, COURT_CONFIRMATION_DAYS))) {
    throw rule(
      'COURT_CONFIRMATION_WINDOW',
      `court confirmation is requested within ${COURT_CONFIRMATION_DAYS} days of the agreement (${reached.reachedAt})`,
      'requestedAt',
    )
  }
  return {
    type: 'CourtConfirmationRequested',
    data: { agreementId: reached.agreementId, requestedAt, court: command.data.court, at },
  }
}

/** Once per deadline: nothing when the mediation is not open, the deadline is ahead, or it is already recorded. */
function deadlinePassed(state: ActiveCaseState, at: string): MediationEvent[] {
  const mediation = state.mediation
  if (mediation?.status !== 'open' || mediation.deadlinePassedRecorded || ms(at) < ms(mediation.deadlineAt)) return []
  return [{ type: 'MediationDeadlinePassed', data: { deadlineAt: mediation.deadlineAt, at } }]
}

/** Every term of the reached agreement past its due date, not found fulfilled, and not yet recorded. */
function fulfilmentOverdue(state: ActiveCaseState, at: string): MediationEvent[] {
  const agreement = state.mediation ? reachedAgreement(state.mediation) : undefined
  if (!agreement) return []
  return agreement.terms.flatMap((term, termIndex): MediationEvent[] =>
    term.fulfilled === true || term.overdueRecorded || ms(at) < ms(term.dueAt)
      ? []
      : [{ type: 'FulfilmentOverdue', data: { agreementId: agreement.agreementId, termIndex, dueAt: term.dueAt, at } }],
  )
}

/**
 * The mediation decider: its own commands, the case stream's state and `evolve` (the case decider's, which hands
 * mediation events to `evolveMediation`). Use it with the case stream codec (`caseEventCodec`).
 *
 * @example
 * await handleCommand(store, mediationDecider, `case-${id}`, command, { ...caseEventCodec, context, metadata, eventIds })
 */
export const mediationDecider: Decider<MediationCommand, CaseStreamEvent, CaseState, CaseContext> = {
  initialState: initialCaseState,
  decide: decideMediation,
  evolve,
}
