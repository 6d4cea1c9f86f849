import type { MediationEvent, MediationEventOf } from '@pc/contracts'
import { assertNever } from '../../decider.js'
import type { CaseState } from '../case.state.js'
import type { AgreementState, MediationState } from './mediation.state.js'

/**
 * Folds one mediation event into the case state's `mediation` slot; the rest of the case is untouched. The case
 * decider's `evolve` hands every mediation event of the case stream here.
 *
 * @example
 * const state = evolveMediation(caseState, { type: 'MediationSessionHeld', data })
 */
export function evolveMediation(state: CaseState, event: MediationEvent): CaseState {
  if (state.status === 'none') throw new Error(`${event.type} before CaseReported`)
  if (event.type === 'MediationOpened') return { ...state, mediation: opened(event) }
  const mediation = state.mediation
  if (mediation === null) throw new Error(`${event.type} before MediationOpened`)
  return { ...state, mediation: evolveOpened(mediation, event) }
}

function opened(event: MediationEventOf<'MediationOpened'>): MediationState {
  const d = event.data
  return {
    status: 'open',
    mediationId: d.mediationId,
    mediatorId: d.mediatorId,
    parties: d.parties.map(({ partyId, role }) => ({ partyId, role })),
    openedAt: d.at,
    deadlineAt: d.deadlineAt,
    extension: null,
    deadlinePassedRecorded: false,
    sessions: [],
    statementCount: 0,
    agreements: [],
    courtConfirmation: null,
  }
}

function evolveOpened(mediation: MediationState, event: Exclude<MediationEvent, { type: 'MediationOpened' }>): MediationState {
  switch (event.type) {
    case 'MediationSessionHeld': {
      const { sessionId, mode, attendees, heldAt } = event.data
      return { ...mediation, sessions: [...mediation.sessions, { sessionId, mode, attendees: [...attendees], heldAt }] }
    }
    case 'MediationStatementRecorded':
      return { ...mediation, statementCount: mediation.statementCount + 1 }
    case 'MediationRefused':
      // The `MediationConcluded` that follows in the same append ends the mediation.
      return mediation
    case 'AgreementProposed': {
      const { agreementId, terms, at } = event.data
      const agreement: AgreementState = {
        agreementId,
        status: 'proposed',
        proposedAt: at,
        responses: [],
        terms: terms.map(({ partyId, dueAt }) => ({ partyId, dueAt, fulfilled: null, overdueRecorded: false })),
        reachedAt: null,
      }
      return { ...mediation, agreements: [...mediation.agreements, agreement] }
    }
    case 'AgreementAccepted':
    case 'AgreementRejected': {
      const { agreementId, partyId, at } = event.data
      const accept = event.type === 'AgreementAccepted'
      return withAgreement(mediation, agreementId, (agreement) => ({
        ...agreement,
        status: accept ? agreement.status : 'rejected',
        responses: [...agreement.responses, { partyId, accept, at }],
      }))
    }
    case 'AgreementReached':
      return withAgreement(mediation, event.data.agreementId, (agreement) => ({
        ...agreement,
        status: 'reached',
        reachedAt: event.data.at,
      }))
    case 'MediationExtended':
      return {
        ...mediation,
        deadlineAt: event.data.deadlineAt,
        extension: { days: event.data.days, at: event.data.at },
        deadlinePassedRecorded: false,
      }
    case 'MediationConcluded': {
      const { outcome, referredTo, refusedBy, at } = event.data
      return { ...mediation, status: 'concluded', outcome, referredTo, refusedBy, concludedAt: at }
    }
    case 'FulfilmentChecked':
      return withTerm(mediation, event.data.agreementId, event.data.termIndex, (term) => ({
        ...term,
        fulfilled: event.data.fulfilled,
      }))
    case 'CourtConfirmationRequested': {
      const { agreementId, requestedAt, court } = event.data
      return { ...mediation, courtConfirmation: { agreementId, requestedAt, court } }
    }
    case 'MediationDeadlinePassed':
      return { ...mediation, deadlinePassedRecorded: true }
    case 'FulfilmentOverdue':
      return withTerm(mediation, event.data.agreementId, event.data.termIndex, (term) => ({
        ...term,
        overdueRecorded: true,
      }))
    default:
      return assertNever(event)
  }
}

function withAgreement(
  mediation: MediationState,
  agreementId: string,
  change: (agreement: AgreementState) => AgreementState,
): MediationState {
  if (!mediation.agreements.some((a) => a.agreementId === agreementId)) {
    throw new Error(`no agreement ${agreementId} in mediation ${mediation.mediationId}`)
  }
  return {
    ...mediation,
    agreements: mediation.agreements.map((agreement) => (agreement.agreementId === agreementId ? change(agreement) : agreement)),
  }
}

function withTerm(
  mediation: MediationState,
  agreementId: string,
  termIndex: number,
  change: (term: AgreementState['terms'][number]) => AgreementState['terms'][number],
): MediationState {
  return withAgreement(mediation, agreementId, (agreement) => {
    if (termIndex >= agreement.terms.length) throw new Error(`no term ${termIndex} in agreement ${agreementId}`)
    return { ...agreement, terms: agreement.terms.map((term, index) => (index === termIndex ? change(term) : term)) }
  })
}
