import { z } from 'zod'
import { TextLimit, UserId, line } from '../common.js'

/**
 * Values of mediation (调解) inside a dispute case (DESIGN §4): who takes part, how sessions are held, how a
 * mediation ends.
 *
 * @example
 * MediationParty.parse({ partyId: 'resident-7', role: 'complainant', name: '王女士', unit: '3-1-201' })
 */

/** A party's place in the dispute; `other` is an interested third party (利害关系人). */
export const MediationPartyRole = z.enum(['complainant', 'respondent', 'other'])
export type MediationPartyRole = z.infer<typeof MediationPartyRole>

/**
 * A party as the mediator names it. `partyId` is the person's user id (JWT `sub`), so a resident can answer for
 * themselves; `name` is personal data (DESIGN §7) and travels in its own object in events, never in a log line.
 */
export const MediationParty = z.strictObject({
  partyId: UserId,
  role: MediationPartyRole,
  name: line(TextLimit.name).optional(),
  unit: line(TextLimit.name).optional(),
})
export type MediationParty = z.infer<typeof MediationParty>

/** A joint session hears the parties together (面对面); a private one hears one side alone (背对背). */
export const MediationSessionMode = z.enum(['joint', 'private'])
export type MediationSessionMode = z.infer<typeof MediationSessionMode>

/** How a mediation ended. */
export const MediationOutcome = z.enum(['agreement', 'no_agreement', 'withdrawn', 'referred'])
export type MediationOutcome = z.infer<typeof MediationOutcome>

/**
 * Where an unresolved dispute is sent on: the residents' committee (居委会), the people's mediation committee
 * (人民调解委员会), arbitration, or court.
 */
export const MediationReferral = z.enum(['residents_committee', 'people_mediation_committee', 'arbitration', 'court'])
export type MediationReferral = z.infer<typeof MediationReferral>

/** `session-<n>`, numbered within the mediation. */
export const MediationSessionId = z.string().regex(/^session-[1-9][0-9]*$/, 'a session id such as session-1')
export type MediationSessionId = z.infer<typeof MediationSessionId>

/** Default length of a mediation: 30 days from opening, extendable once. */
export const DEFAULT_MEDIATION_DAYS = 30

/** The parties' request for court confirmation (司法确认) must come within this many days of the agreement. */
export const COURT_CONFIRMATION_DAYS = 30
