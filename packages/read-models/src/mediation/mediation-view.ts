import type { MediationAgreementView, MediationEvent, MediationEventOf } from '@pc/contracts'
import { assertNever } from '@pc/domain'
import type { StoredMediationView } from './mediation.tables.js'

/**
 * Folds one mediation event into the mediation's view (`GET /v1/cases/:id/mediation`). The domain decides every
 * rule and writes its outcome into the events (`AgreementReached`, `onTime`, `deadlineAt`…), so this only copies
 * them into the shape readers want. Parties' names are kept only as their envelopes (personal data, DESIGN §7) and
 * opened at read time for the readers who may see them.
 *
 * @example
 * const view = events.reduce((v, e) => evolveMediationView(v, e, caseId), null)
 */
export function evolveMediationView(
  view: StoredMediationView | null,
  event: MediationEvent,
  caseId: string,
): StoredMediationView {
  if (event.type === 'MediationOpened') return opened(event, caseId)
  if (view === null) throw new Error(`${event.type} before MediationOpened on case ${caseId}`)
  switch (event.type) {
    case 'MediationSessionHeld': {
      const { sessionId, heldAt, mode, attendees, summary, at } = event.data
      return { ...view, sessions: [...view.sessions, { sessionId, heldAt, mode, attendees, summary, at }] }
    }
    case 'MediationStatementRecorded': {
      const { partyId, statement, sessionId, at } = event.data
      return { ...view, statements: [...view.statements, { partyId, statement, sessionId, at }] }
    }
    case 'MediationRefused': {
      const { partyId, reason, at } = event.data
      return { ...view, refusal: { partyId, reason, at } }
    }
    case 'AgreementProposed':
      return { ...view, agreements: [...view.agreements, proposed(view, event)] }
    case 'AgreementAccepted':
    case 'AgreementRejected': {
      const { agreementId, partyId, comment, recordedBy, at } = event.data
      const answer = event.type === 'AgreementAccepted' ? ('accepted' as const) : ('rejected' as const)
      return withAgreement(view, agreementId, (agreement) => ({
        ...agreement,
        status: answer === 'rejected' ? 'rejected' : agreement.status,
        responses: agreement.responses.map((r) => (r.partyId === partyId ? { partyId, answer, comment, recordedBy, at } : r)),
      }))
    }
    case 'AgreementReached':
      return withAgreement(view, event.data.agreementId, (agreement) => ({
        ...agreement,
        status: 'reached',
        reachedAt: event.data.at,
      }))
    case 'MediationExtended': {
      const { days, reason, previousDeadlineAt, deadlineAt, at } = event.data
      return { ...view, deadlineAt, deadlinePassed: false, extension: { days, reason, previousDeadlineAt, at } }
    }
    case 'MediationConcluded': {
      const { outcome, referredTo, note, days, at } = event.data
      return { ...view, status: 'concluded', outcome: { outcome, referredTo, note, days, at } }
    }
    case 'FulfilmentChecked': {
      const { agreementId, termIndex, fulfilled, onTime, note, at } = event.data
      return withAgreement(view, agreementId, (agreement) => ({
        ...agreement,
        terms: agreement.terms.map((term) =>
          term.termIndex === termIndex ? { ...term, fulfilled, onTime, note, checkedAt: at } : term,
        ),
      }))
    }
    case 'CourtConfirmationRequested': {
      const { agreementId, requestedAt, court, at } = event.data
      return { ...view, courtConfirmation: { agreementId, requestedAt, court, at } }
    }
    case 'MediationDeadlinePassed':
      return { ...view, deadlinePassed: true }
    case 'FulfilmentOverdue': {
      const { agreementId, termIndex } = event.data
      return withAgreement(view, agreementId, (agreement) => ({
        ...agreement,
        terms: agreement.terms.map((term) => (term.termIndex === termIndex ? { ...term, overdue: true } : term)),
      }))
    }
    default:
      return assertNever(event)
  }
}

function opened(event: MediationEventOf<'MediationOpened'>, caseId: string): StoredMediationView {
  const d = event.data
  return {
    caseId,
    mediationId: d.mediationId,
    status: 'open',
    mediatorId: d.mediatorId,
    parties: d.parties.map(({ partyId, role, unit, contact }) => ({ partyId, role, unit, contact })),
    openedAt: d.at,
    deadlineDays: d.deadlineDays,
    deadlineAt: d.deadlineAt,
    extension: null,
    deadlinePassed: false,
    sessions: [],
    statements: [],
    agreements: [],
    refusal: null,
    outcome: null,
    courtConfirmation: null,
  }
}

function proposed(view: StoredMediationView, event: MediationEventOf<'AgreementProposed'>): MediationAgreementView {
  const { agreementId, facts, disputedPoints, responsibilities, terms, at } = event.data
  return {
    agreementId,
    status: 'proposed',
    facts,
    disputedPoints,
    responsibilities,
    responses: view.parties.map(({ partyId }) => ({ partyId, answer: 'pending', comment: null, recordedBy: null, at: null })),
    terms: terms.map(({ partyId, description, dueAt }, termIndex) => ({
      termIndex,
      partyId,
      description,
      dueAt,
      fulfilled: null,
      onTime: null,
      note: null,
      checkedAt: null,
      overdue: false,
    })),
    proposedAt: at,
    reachedAt: null,
  }
}

function withAgreement(
  view: StoredMediationView,
  agreementId: string,
  change: (agreement: MediationAgreementView) => MediationAgreementView,
): StoredMediationView {
  return { ...view, agreements: view.agreements.map((a) => (a.agreementId === agreementId ? change(a) : a)) }
}
