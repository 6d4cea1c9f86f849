import type { MediationEvent, MediationOutcome, MediationReferral, NoteVisibility } from '@pc/contracts'
import { assertNever } from '@pc/domain'

/** What a timeline entry says, and who may read it. */
export interface TimelineEntryText {
  summary: string
  visibility: NoteVisibility
  detail: string | null
}

/**
 * The timeline sentence for each mediation event (`case-timeline.projection.ts` asks here). Parties are named by
 * their user id and role, never by name (personal data, DESIGN §7). Every step is public — the parties follow
 * their mediation in the case timeline — except a private session's summary and what was said in it, and the SLA
 * worker's breaches, which are internal like the case's own.
 *
 * @example
 * describeMediationEvent({ type: 'AgreementReached', data }) // { summary: 'Agreement reached: …', … }
 */
export function describeMediationEvent(event: MediationEvent): TimelineEntryText {
  const pub = (summary: string, detail: string | null = null) => ({ summary, visibility: 'public' as const, detail })
  const internal = (summary: string, detail: string | null = null) => ({ summary, visibility: 'internal' as const, detail })
  switch (event.type) {
    case 'MediationOpened': {
      const { mediatorId, parties, deadlineAt } = event.data
      const count = (role: string) => parties.filter((p) => p.role === role).length
      const others = count('other') > 0 ? `, ${count('other')} other` : ''
      return pub(
        `Mediation opened by ${mediatorId} (${count('complainant')} complainant, ${count('respondent')} respondent${others}; ` +
          `rights notice given; deadline ${day(deadlineAt)})`,
      )
    }
    case 'MediationSessionHeld': {
      const { sessionId, mode, attendees, heldAt, summary } = event.data
      const said = `${sessionId} held on ${day(heldAt)} with ${attendees.join(', ')}`
      return mode === 'joint'
        ? pub(`Joint mediation session ${said}`, summary)
        : internal(`Private mediation session ${said}`, summary)
    }
    case 'MediationStatementRecorded': {
      const { partyId, sessionId, sessionMode, statement } = event.data
      const summary = `Statement of ${partyId} recorded${sessionId ? ` at ${sessionId}` : ''}`
      return sessionMode === 'private' ? internal(summary, statement) : pub(summary, statement)
    }
    case 'MediationRefused':
      return pub(`${event.data.partyId} declined mediation`, event.data.reason)
    case 'AgreementProposed': {
      const { terms, disputedPoints, facts } = event.data
      return pub(`Agreement proposed: ${disputedPoints.length} points in dispute, ${terms.length} terms`, facts)
    }
    case 'AgreementAccepted':
    case 'AgreementRejected': {
      const { partyId, recordedBy, comment } = event.data
      const verb = event.type === 'AgreementAccepted' ? 'accepted' : 'rejected'
      const by = recordedBy === 'mediator' ? ' (recorded by the mediator)' : ''
      return pub(`${partyId} ${verb} the proposed agreement${by}`, comment)
    }
    case 'AgreementReached':
      return pub('Agreement reached: every party accepted')
    case 'MediationExtended':
      return pub(`Mediation deadline extended by ${event.data.days} days to ${day(event.data.deadlineAt)}`, event.data.reason)
    case 'MediationConcluded': {
      const { outcome, referredTo, refusedBy, note } = event.data
      const why = refusedBy ? ` (${refusedBy} declined)` : referredTo ? ` to the ${REFERRAL[referredTo]}` : ''
      return pub(`Mediation concluded: ${OUTCOME[outcome]}${why}`, note)
    }
    case 'FulfilmentChecked': {
      const { termIndex, fulfilled, onTime, note } = event.data
      const found = fulfilled ? `fulfilled${onTime === false ? ' (late)' : ''}` : 'not fulfilled'
      return pub(`Term ${termIndex + 1} of the agreement checked: ${found}`, note)
    }
    case 'CourtConfirmationRequested':
      return pub(`Court confirmation requested from ${event.data.court} on ${day(event.data.requestedAt)}`)
    case 'MediationDeadlinePassed':
      return internal(`Mediation deadline passed (was ${day(event.data.deadlineAt)})`)
    case 'FulfilmentOverdue':
      return internal(`Term ${event.data.termIndex + 1} of the agreement overdue (was due ${day(event.data.dueAt)})`)
    default:
      return assertNever(event)
  }
}

const OUTCOME: Record<MediationOutcome, string> = {
  agreement: 'agreement',
  no_agreement: 'no agreement',
  withdrawn: 'withdrawn',
  referred: 'referred',
}

const REFERRAL: Record<MediationReferral, string> = {
  residents_committee: "residents' committee",
  people_mediation_committee: "people's mediation committee",
  arbitration: 'arbitration',
  court: 'court',
}

/** The calendar day in China time (UTC+8), as residents read dates. */
function day(iso: string): string {
  return new Date(Date.parse(iso) + 8 * 60 * 60_000).toISOString().slice(0, 10)
}
