import type { MediationOutcome, MediationPartyRole, MediationReferral, MediationSessionMode } from '@pc/contracts'

/**
 * The state of a dispute's mediation (调解), kept in the case state's `mediation` slot: what the mediation decider
 * needs to decide, and what a history replay should show. No free text and no names: a party's name is personal
 * data (DESIGN §7) and stays in the events and the mediation read model, so replaying a case never exposes it.
 */

export interface MediationPartyState {
  partyId: string
  role: MediationPartyRole
}

export interface MediationSessionState {
  /** `session-<n>`. */
  sessionId: string
  mode: MediationSessionMode
  attendees: readonly string[]
  heldAt: string
}

export interface AgreementResponseState {
  partyId: string
  accept: boolean
  at: string
}

export interface AgreementTermState {
  partyId: string
  dueAt: string
  /** The last fulfilment check's finding; null until checked. */
  fulfilled: boolean | null
  /** The SLA worker recorded the term overdue (once). */
  overdueRecorded: boolean
}

/** A proposed agreement (调解协议): pending answers, rejected by a party, or reached (every party accepted). */
export interface AgreementState {
  agreementId: string
  status: 'proposed' | 'rejected' | 'reached'
  proposedAt: string
  responses: readonly AgreementResponseState[]
  terms: readonly AgreementTermState[]
  reachedAt: string | null
}

interface MediationFacts {
  mediationId: string
  mediatorId: string
  parties: readonly MediationPartyState[]
  openedAt: string
  deadlineAt: string
  /** The one extension allowed. */
  extension: { days: number; at: string } | null
  /** The SLA worker recorded the current deadline as passed. */
  deadlinePassedRecorded: boolean
  sessions: readonly MediationSessionState[]
  statementCount: number
  /** Every proposal in order; at most one is `proposed` (pending) and at most one `reached`. */
  agreements: readonly AgreementState[]
  courtConfirmation: { agreementId: string; requestedAt: string; court: string } | null
}

export type OpenMediation = { status: 'open' } & MediationFacts

export type ConcludedMediation = {
  status: 'concluded'
  outcome: MediationOutcome
  referredTo: MediationReferral | null
  /** The party whose refusal ended the mediation. */
  refusedBy: string | null
  concludedAt: string
} & MediationFacts

/** A dispute's current mediation: a discriminated union on `status`, like the case itself. */
export type MediationState = OpenMediation | ConcludedMediation

/** The agreement waiting for answers, if any. */
export function pendingAgreement(mediation: MediationState): AgreementState | undefined {
  return mediation.agreements.find((agreement) => agreement.status === 'proposed')
}

/** The agreement every party accepted, if any. */
export function reachedAgreement(mediation: MediationState): AgreementState | undefined {
  return mediation.agreements.find((agreement) => agreement.status === 'reached')
}

export function isParty(mediation: MediationState, userId: string): boolean {
  return mediation.parties.some((party) => party.partyId === userId)
}
