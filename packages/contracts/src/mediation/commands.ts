import { z } from 'zod'
import type { Sealed } from '../personal.js'
import { IsoDateTime, TextLimit, UserId, Uuid, line, text } from '../common.js'
import {
  MediationOutcome,
  MediationParty,
  MediationReferral,
  MediationSessionId,
  MediationSessionMode,
} from './values.js'

/**
 * HTTP bodies of the mediation commands (issue 5), `POST /v1/cases/:id/mediation/…`. Every object is strict.
 * Shape only: which party may do what, and in which order, is the mediation decider's to say (422 with a rule).
 *
 * @example
 * const body = RespondToAgreementBody.parse({ partyId: 'resident-7', accept: true })
 */

const reason = () => text(TextLimit.reason)

/** `POST …/mediation`: open a mediation of a dispute case in progress. */
export const OpenMediationBody = z.strictObject({
  mediatorId: UserId,
  parties: z.array(MediationParty).min(2).max(20),
  /** The notice of the parties' rights and duties (权利义务告知) was given; must be `true`. */
  rightsNoticeGiven: z.boolean(),
  /** Days until the mediation's deadline; default 30. */
  deadlineDays: z.number().int().min(1).max(90).optional(),
})
export type OpenMediationBody = z.infer<typeof OpenMediationBody>

/** `…/sessions`: a session was held. */
export const HoldMediationSessionBody = z.strictObject({
  heldAt: IsoDateTime,
  mode: MediationSessionMode,
  attendees: z.array(UserId).min(1).max(20),
  summary: text(),
})
export type HoldMediationSessionBody = z.infer<typeof HoldMediationSessionBody>

/** `…/statements`: what a party says (陈述), at a session or on its own. */
export const RecordStatementBody = z.strictObject({
  partyId: UserId,
  statement: text(),
  sessionId: MediationSessionId.optional(),
})
export type RecordStatementBody = z.infer<typeof RecordStatementBody>

/** `…/refusals`: a party declines mediation; mediation is voluntary, so it ends. */
export const RecordRefusalBody = z.strictObject({ partyId: UserId, reason: reason().optional() })
export type RecordRefusalBody = z.infer<typeof RecordRefusalBody>

/** One obligation of the agreement: who does what by when (履行方式、时限). */
export const AgreementTerm = z.strictObject({
  partyId: UserId,
  description: text(TextLimit.reason),
  dueAt: IsoDateTime,
})
export type AgreementTerm = z.infer<typeof AgreementTerm>

/** `…/agreement`: propose an agreement (调解协议); answers its `agreementId`. */
export const ProposeAgreementBody = z.strictObject({
  facts: text(),
  disputedPoints: z.array(text(TextLimit.reason)).min(1).max(50),
  responsibilities: z.array(z.strictObject({ partyId: UserId, text: text(TextLimit.reason) })).max(50),
  terms: z.array(AgreementTerm).min(1).max(50),
})
export type ProposeAgreementBody = z.infer<typeof ProposeAgreementBody>

/** `…/agreement/:agreementId/responses`: a party accepts or rejects the proposal. */
export const RespondToAgreementBody = z.strictObject({
  partyId: UserId,
  accept: z.boolean(),
  comment: reason().optional(),
})
export type RespondToAgreementBody = z.infer<typeof RespondToAgreementBody>

/** `…/agreement/:agreementId/responses` path parameters. */
export const AgreementParams = z.strictObject({ id: Uuid, agreementId: Uuid })
export type AgreementParams = z.infer<typeof AgreementParams>

/** `…/extend`: the deadline, once. */
export const ExtendMediationBody = z.strictObject({ days: z.number().int().min(1).max(60), reason: reason() })
export type ExtendMediationBody = z.infer<typeof ExtendMediationBody>

/** `…/conclude`. `referredTo` goes with `referred` and only with it. */
export const ConcludeMediationBody = z
  .strictObject({
    outcome: MediationOutcome,
    referredTo: MediationReferral.optional(),
    note: reason().optional(),
  })
  .superRefine((body, ctx) => {
    if (body.outcome === 'referred' && body.referredTo === undefined) {
      ctx.addIssue({ code: 'custom', path: ['referredTo'], message: 'required when the outcome is referred' })
    }
    if (body.outcome !== 'referred' && body.referredTo !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['referredTo'], message: 'only when the outcome is referred' })
    }
  })
export type ConcludeMediationBody = z.infer<typeof ConcludeMediationBody>

/** `…/fulfilment`: whether a term of the agreement was carried out (履行情况). */
export const CheckFulfilmentBody = z.strictObject({
  agreementId: Uuid,
  termIndex: z.number().int().min(0).max(49),
  fulfilled: z.boolean(),
  note: reason(),
})
export type CheckFulfilmentBody = z.infer<typeof CheckFulfilmentBody>

/** `…/court-confirmation`: the parties asked a court to confirm the agreement (司法确认). */
export const RecordCourtConfirmationBody = z.strictObject({ requestedAt: IsoDateTime, court: line(TextLimit.title) })
export type RecordCourtConfirmationBody = z.infer<typeof RecordCourtConfirmationBody>

/**
 * Body schema per mediation command; the route is `…/mediation/<route>` (`open` is `POST …/mediation`,
 * `respond_to_agreement` is `…/agreement/:agreementId/responses`).
 */
export const MediationCommandBodies = {
  open_mediation: OpenMediationBody,
  hold_session: HoldMediationSessionBody,
  record_statement: RecordStatementBody,
  record_refusal: RecordRefusalBody,
  propose_agreement: ProposeAgreementBody,
  respond_to_agreement: RespondToAgreementBody,
  extend_mediation: ExtendMediationBody,
  conclude_mediation: ConcludeMediationBody,
  check_fulfilment: CheckFulfilmentBody,
  record_court_confirmation: RecordCourtConfirmationBody,
} as const
export type MediationCommandType = keyof typeof MediationCommandBodies
export type MediationCommandBody<T extends MediationCommandType> = z.infer<(typeof MediationCommandBodies)[T]>

/** A party as the decider sees it: its name sealed at the edge for the party (DESIGN §7). */
export type SealedMediationParty = Omit<MediationParty, 'name'> & { contact?: Sealed }

/** Opening as the decider sees it. */
export type OpenMediationData = Omit<OpenMediationBody, 'parties'> & { parties: SealedMediationParty[] }

/** The data of a mediation command: its body, but the parties' names are sealed. */
export type MediationCommandData<T extends MediationCommandType> = T extends 'open_mediation' ? OpenMediationData : MediationCommandBody<T>
