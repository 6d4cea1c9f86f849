import { z } from 'zod'
import { DecimalString, IsoDateTime, UserId, Uuid } from '../common.js'
import { personalView } from '../personal.js'
import { ResponseRecordedBy } from './events.js'
import { MediationOutcome, MediationPartyRole, MediationReferral, MediationSessionId, MediationSessionMode } from './values.js'

/**
 * `GET /v1/cases/:id/mediation`: a dispute's current mediation — parties, sessions, statements, every proposal
 * with each party's answer, the outcome, and fulfilment per term of the agreement.
 *
 * What a reader does not see is `null`, `sealed` or left out of a list: a party's name for a resident who is not a
 * party, a private session's summary and the statements made in it for every resident.
 *
 * @example
 * const view = MediationView.parse(await (await fetch(`/v1/cases/${id}/mediation`, { headers })).json())
 */

const PartyView = z.object({
  partyId: UserId,
  role: MediationPartyRole,
  unit: z.string().nullable(),
  /**
   * Personal data (DESIGN §7): the party's name in clear for staff, managers, the mediator and the parties; sealed
   * for auditors and a reporter who is not a party; erased once the party was forgotten; null when none was given.
   */
  contact: personalView(z.strictObject({ name: z.string() })).nullable(),
})

const SessionView = z.object({
  sessionId: MediationSessionId,
  heldAt: IsoDateTime,
  mode: MediationSessionMode,
  attendees: z.array(UserId),
  /** Null for a resident when the session was private. */
  summary: z.string().nullable(),
  at: IsoDateTime,
})

const StatementView = z.object({
  partyId: UserId,
  statement: z.string(),
  sessionId: MediationSessionId.nullable(),
  at: IsoDateTime,
})

const PartyAnswer = z.object({
  partyId: UserId,
  answer: z.enum(['pending', 'accepted', 'rejected']),
  comment: z.string().nullable(),
  recordedBy: ResponseRecordedBy.nullable(),
  at: IsoDateTime.nullable(),
})

const TermView = z.object({
  termIndex: z.number().int().min(0),
  partyId: UserId,
  description: z.string(),
  dueAt: IsoDateTime,
  /** The last check's finding (null: not checked yet). */
  fulfilled: z.boolean().nullable(),
  onTime: z.boolean().nullable(),
  note: z.string().nullable(),
  checkedAt: IsoDateTime.nullable(),
  /** The SLA worker found it past due and not fulfilled. */
  overdue: z.boolean(),
})

const AgreementView = z.object({
  agreementId: Uuid,
  status: z.enum(['proposed', 'rejected', 'reached']),
  facts: z.string(),
  disputedPoints: z.array(z.string()),
  responsibilities: z.array(z.object({ partyId: UserId, text: z.string() })),
  /** One answer per party, in the order the parties were named. */
  responses: z.array(PartyAnswer),
  terms: z.array(TermView),
  proposedAt: IsoDateTime,
  reachedAt: IsoDateTime.nullable(),
})

export const MediationView = z.object({
  caseId: Uuid,
  mediationId: Uuid,
  status: z.enum(['open', 'concluded']),
  mediatorId: UserId,
  parties: z.array(PartyView),
  openedAt: IsoDateTime,
  deadlineDays: z.number().int(),
  deadlineAt: IsoDateTime,
  extension: z.object({ days: z.number().int(), reason: z.string(), previousDeadlineAt: IsoDateTime, at: IsoDateTime }).nullable(),
  deadlinePassed: z.boolean(),
  sessions: z.array(SessionView),
  statements: z.array(StatementView),
  /** Every proposal in order; the last one is the current. */
  agreements: z.array(AgreementView),
  refusal: z.object({ partyId: UserId, reason: z.string().nullable(), at: IsoDateTime }).nullable(),
  outcome: z
    .object({
      outcome: MediationOutcome,
      referredTo: MediationReferral.nullable(),
      note: z.string().nullable(),
      /** Days from opening to conclusion. */
      days: z.number(),
      at: IsoDateTime,
    })
    .nullable(),
  courtConfirmation: z.object({ agreementId: Uuid, requestedAt: IsoDateTime, court: z.string(), at: IsoDateTime }).nullable(),
  /** The case stream's revision after the last mediation event. */
  revision: DecimalString,
  position: DecimalString,
})
export type MediationView = z.infer<typeof MediationView>
export type MediationPartyView = z.infer<typeof PartyView>
export type MediationAgreementView = z.infer<typeof AgreementView>

/** Mediation figures: how mediations ended, and how long they took (days from opening to conclusion). */
export const MediationFigures = z.object({
  open: z.number().int(),
  concluded: z.number().int(),
  byOutcome: z.object({
    agreement: z.number().int(),
    no_agreement: z.number().int(),
    withdrawn: z.number().int(),
    referred: z.number().int(),
  }),
  medianDaysToConclusion: z.number().nullable(),
})
export type MediationFigures = z.infer<typeof MediationFigures>
